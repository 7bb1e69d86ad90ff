"""The meeting file (CM-11, NA-10) as PDF and xlsx: what it lists, and the office-only draw list."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from zhicheng_committees.result.meeting_file import MeetingFileContent, TallyPart, render_pdf, render_xlsx
from zhicheng_committees.result.service import _render_in_worker
from zhicheng_common.pdf_font import DEFAULT_CJK_FONT, FontFileError
from zhicheng_common.testing import ensure_cjk_font, pdf_text

A, B = "decl-a", "decl-b"


def content(*, office: bool) -> MeetingFileContent:
    return MeetingFileContent(
        committee_name="山西省工程技术高级职称评审委员会",
        meeting_id="m-1",
        meeting_date=date(2024, 10, 11),
        venue="太原市小店区长风街1号",
        policy_pack="shanxi-2024",
        post_meeting_filed_on=date(2024, 10, 14),
        post_meeting_filing_due=date(2024, 11, 1),
        publicity_opened_on=date(2024, 10, 14),
        publicity_open_through=date(2024, 10, 21),
        objections=[],
        draw_id="d-1",
        draw_list=[("e-expert-07", "electrical")] if office else None,
        sign_in=[("e-expert-07", "2024-10-11T09:00:00+08:00")],
        opinions=[(A, "e-expert-07", 88, "业绩突出")],
        tallies=[
            TallyPart(
                round=1,
                key_id="k1",
                signature="sig",
                counts=[
                    {
                        "applicant": A,
                        "yes": 6,
                        "no": 2,
                        "abstain": 1,
                        "blank": 0,
                        "denominator": 9,
                        "required": 6,
                        "passed": True,
                    },
                    {
                        "applicant": B,
                        "yes": 5,
                        "no": 3,
                        "abstain": 1,
                        "blank": 0,
                        "denominator": 9,
                        "required": 6,
                        "passed": False,
                    },
                ],
            )
        ],
        names={A: "张三", B: "李四"},
        passed=[(A, "正高级工程师")],
        confirmation=("山西省人力资源和社会保障厅", "晋人社职字〔2024〕35号", date(2024, 10, 22)),
    )


def test_CM_11_NA_10_the_pdf_lists_the_counts_the_passed_list_and_the_draw_list_only_for_the_office() -> None:
    font = ensure_cjk_font(DEFAULT_CJK_FONT)
    text = pdf_text(render_pdf(content(office=True), font_file=font))
    assert "张三：赞成6票，反对2票，弃权1票，未投0票；计票人数9，须赞成6票，通过" in text
    assert "李四：赞成5票，反对3票，弃权1票，未投0票；计票人数9，须赞成6票，未通过" in text
    for heading in ("会后备案报告", "评审结果公示", "签到表", "专家评审意见", "第1轮表决计票结果", "评审通过人员名单"):
        assert heading in text
    assert "专家抽取名单" in text
    assert "e-expert-07" in text
    assert "晋人社职字〔2024〕35号" in text
    shared = pdf_text(render_pdf(content(office=False), font_file=font))
    assert "专家抽取名单" not in shared
    assert "张三：赞成6票" in shared


def test_CM_11_the_xlsx_holds_one_sheet_per_section_with_the_counts() -> None:
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(content(office=True))))
    titles = [sheet["A1"].value for sheet in book.worksheets]
    assert titles[2] == "专家抽取名单 (EX-1，抽取 d-1)"
    tally = next(sheet for sheet in book.worksheets if str(sheet["A1"].value).startswith("第1轮"))
    rows = [[c.value for c in row] for row in tally.iter_rows(min_row=2)]
    assert rows == [
        ["申报人", "赞成", "反对", "弃权", "未投", "计票人数", "须赞成", "结果"],
        ["张三", "6", "2", "1", "0", "9", "6", "通过"],
        ["李四", "5", "3", "1", "0", "9", "6", "未通过"],
    ]
    shared = openpyxl.load_workbook(io.BytesIO(render_xlsx(content(office=False))))
    assert not [s for s in shared.worksheets if str(s["A1"].value).startswith("专家抽取名单")]


def test_CM_11_the_worker_process_renders_the_files_in_order_and_a_missing_font_is_still_a_font_error() -> None:
    # The service renders in a process of its own (docs/memory.md): the same bytes come back, in the
    # order asked, and the font's refusal crosses the process boundary as itself (the API's 503).
    font = ensure_cjk_font(DEFAULT_CJK_FONT)
    pdf, xlsx = _render_in_worker([(content(office=True), "pdf"), (content(office=False), "xlsx")], font)
    assert "张三：赞成6票，反对2票，弃权1票，未投0票；计票人数9，须赞成6票，通过" in pdf_text(pdf)
    shared = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert not [s for s in shared.worksheets if str(s["A1"].value).startswith("专家抽取名单")]
    with pytest.raises(FontFileError, match="字体文件不存在"):
        _render_in_worker([(content(office=True), "pdf")], Path("/nonexistent/font.ttc"))
