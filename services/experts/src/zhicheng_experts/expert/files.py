"""Expert lists as files: reading an import (xlsx or CSV) into rows, writing an export.

A row number is the row as a spreadsheet shows it: the header is row 1, the first expert row 2,
so an office finds "row 7" where its own program shows row 7. Columns are named by code or by
their Chinese heading (``姓名``, ``身份证号`` …); values of ownership kind and rank may be codes or
their Chinese names from the reference catalog. One term per row (``term_start``, ``term_end``);
relationships as ``kind:身份证号`` separated by ``;``.

openpyxl is imported where an xlsx is read or written, not with this module: it brings about 190
modules (and numpy and Pillow where they are installed, 20 MB resident in all) into the service
for the few requests that carry a file (``libs/common/tests/unit/test_lazy_imports.py``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from zhicheng_common.reference import load_reference_catalog

FileFormat = Literal["csv", "xlsx"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"

#: Columns in file order: code and Chinese heading.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"),
    ("resident_id", "身份证号"),
    ("unit_name", "工作单位"),
    ("unit_credit_code", "统一社会信用代码"),
    ("ownership_kind", "单位性质"),
    ("series", "职称系列"),
    ("specialties", "专业"),
    ("rank_held", "职称级别"),
    ("title_name", "职称名称"),
    ("region", "行政区划"),
    ("phone", "电话"),
    ("email", "电子邮箱"),
    ("term_start", "聘期开始"),
    ("term_end", "聘期结束"),
    ("relationships", "关联关系"),
)
REQUIRED = ("name", "resident_id", "unit_name", "unit_credit_code", "ownership_kind", "series", "specialties")
_HEADINGS = {code: code for code, _ in COLUMNS} | {heading: code for code, heading in COLUMNS}
_LIST_SEPARATORS = (";", "；", "、", ",", "，")


class UnreadableFile(ValueError):
    """The bytes are not a readable file of the format, or its header lacks required columns."""


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]


def format_of(media_type: str) -> FileFormat | None:
    """The import format a Content-Type names (``None``: neither CSV nor xlsx)."""
    kind = media_type.split(";", 1)[0].strip().lower()
    if kind in (CSV_MEDIA_TYPE, "application/csv", "text/plain"):
        return "csv"
    if kind == XLSX_MEDIA_TYPE:
        return "xlsx"
    return None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(data: bytes, file_format: FileFormat) -> list[list[str]]:
    if file_format == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")  # what a spreadsheet saves as "CSV" on a Chinese system
            except UnicodeDecodeError as exc:
                raise UnreadableFile("CSV 文件编码无法识别（应为 UTF-8 或 GB18030）") from exc
        return [[cell.strip() for cell in line] for line in csv.reader(io.StringIO(text))]
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a bad file
        raise UnreadableFile("不是可读取的 xlsx 文件") from exc
    try:
        sheet = book.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_rows(data: bytes, file_format: FileFormat) -> list[Row]:
    """The expert rows of a file, numbered as a spreadsheet numbers them; blank rows are skipped.

    Raises:
        UnreadableFile: Not a file of the format, no header, or required columns missing.
    """
    table = _table(data, file_format)
    if not table or not any(table[0]):
        raise UnreadableFile("文件没有表头行")
    header = [_HEADINGS.get(cell.strip()) for cell in table[0]]
    missing = [heading for code, heading in COLUMNS if code in REQUIRED and code not in header]
    if missing:
        raise UnreadableFile(f"表头缺少必填列：{'、'.join(missing)}")
    rows: list[Row] = []
    for index, cells in enumerate(table[1:], start=2):
        values = {code: cells[i] for i, code in enumerate(header) if code is not None and i < len(cells)}
        if any(values.values()):
            rows.append(Row(index, values))
    return rows


def _split(value: str) -> list[str]:
    for separator in _LIST_SEPARATORS[1:]:
        value = value.replace(separator, _LIST_SEPARATORS[0])
    return [part.strip() for part in value.split(_LIST_SEPARATORS[0]) if part.strip()]


def _code_of(value: str, names: dict[str, str]) -> str:
    reverse = {name: code for code, name in names.items()}
    return reverse.get(value, value)


def row_to_body(row: Row) -> dict[str, Any]:
    """The row as an ``ExpertCreate`` body (validated by the caller, errors named by field)."""
    reference = load_reference_catalog()
    values = row.values
    body: dict[str, Any] = {
        code: values.get(code, "")
        for code in ("name", "resident_id", "unit_name", "unit_credit_code", "series", "region")
    }
    body["ownership_kind"] = _code_of(values.get("ownership_kind", ""), reference.ownership_kinds)
    body["rank_held"] = _code_of(values.get("rank_held", ""), {str(k): v for k, v in reference.ranks.items()})
    body["specialties"] = _split(values.get("specialties", ""))
    for optional in ("title_name", "phone", "email"):
        if values.get(optional):
            body[optional] = values[optional]
    body["terms"] = [{"starts_on": values.get("term_start", ""), "ends_on": values.get("term_end", "")}]
    relationships = []
    for part in _split(values.get("relationships", "")):
        kind, _, number = part.partition(":")
        relationships.append({"kind": kind.strip(), "other_resident_id": number.strip()})
    body["relationships"] = relationships
    return body


def write_table(rows: Iterable[Sequence[str]], file_format: FileFormat) -> bytes:
    """An export: the Chinese headings, then one row per expert."""
    headings = [heading for _, heading in COLUMNS]
    if file_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headings)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheets read it as UTF-8
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("专家库")
    sheet.append(headings)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
