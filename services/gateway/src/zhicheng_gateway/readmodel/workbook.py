"""The xlsx workbooks of the read model (openpyxl): statistics with native charts, passed lists, DA-1.

openpyxl is imported by the functions that build a workbook, not with this module: it brings
about 190 modules (and numpy and Pillow where they are installed, 20 MB resident in all) into
every gateway process for the few that ever export (``libs/common/tests/unit/test_lazy_imports.py``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from zhicheng_gateway.readmodel.domain import STAGES
from zhicheng_gateway.readmodel.schemas import StatisticsRow

if TYPE_CHECKING:
    from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DIMENSION_TITLES = {
    "province": "全省",
    "city": "按市",
    "committee": "按评委会",
    "series": "按系列",
    "level": "按级别",
    "year": "按年度",
}
MEASURES = (
    ("申报", "declared"),
    ("资格审查通过", "qualified"),
    ("参评", "evaluated"),
    ("评审通过", "passed"),
    ("通过率", "pass_rate"),
    ("超期", "overdue"),
)


def _sheet_title(text: str) -> str:
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31] or "sheet"


def statistics_workbook(tables: Mapping[str, Sequence[StatisticsRow]]) -> bytes:
    """One sheet per dimension: the table (counts, pass rate, median and p90 working days per stage)
    and two native charts (counts as bars, the pass rate as a line)."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    book.remove(book.active)
    for dimension, rows in tables.items():
        sheet: Worksheet = book.create_sheet(_sheet_title(DIMENSION_TITLES.get(dimension, dimension)))
        stages = [s for s in STAGES if any(s in row.stage_days for row in rows)]
        header = ["分组", *(title for title, _ in MEASURES)]
        for stage in stages:
            header += [f"{stage} 中位工作日", f"{stage} P90工作日"]
        sheet.append(header)
        for row in rows:
            line: list[Any] = [row.label, *(getattr(row, name) for _, name in MEASURES)]
            for stage in stages:
                days = row.stage_days.get(stage)
                line += [days.median if days else None, days.p90 if days else None]
            sheet.append(line)
        if not rows:
            continue
        last = len(rows) + 1
        categories = Reference(sheet, min_col=1, min_row=2, max_row=last)
        bars = BarChart()
        bars.title = "申报与评审人数"
        bars.add_data(Reference(sheet, min_col=2, max_col=5, min_row=1, max_row=last), titles_from_data=True)
        bars.set_categories(categories)
        sheet.add_chart(bars, f"A{last + 3}")
        line_chart = LineChart()
        line_chart.title = "通过率"
        line_chart.add_data(Reference(sheet, min_col=6, min_row=1, max_row=last), titles_from_data=True)
        line_chart.set_categories(categories)
        sheet.add_chart(line_chart, f"J{last + 3}")
    if not book.sheetnames:
        book.create_sheet("无数据")
    return _bytes(book)


def passed_workbook(lists: Mapping[str, Sequence[Mapping[str, Any]]], columns: Sequence[tuple[str, str]]) -> bytes:
    """One sheet per committee, in the prescribed columns."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for committee, rows in lists.items():
        sheet = book.create_sheet(_sheet_title(committee))
        sheet.append([title for title, _ in columns])
        for row in rows:
            sheet.append([row.get(name) for _, name in columns])
    if not book.sheetnames:
        sheet = book.create_sheet("无数据")
        sheet.append([title for title, _ in columns])
    return _bytes(book)


def da1_workbook(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> bytes:
    """DA-1 (职称信息采集) on one sheet, in its columns."""
    return passed_workbook({"职称信息采集": rows}, columns)


def _bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
