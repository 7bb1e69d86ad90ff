"""The meeting file (会议档案, CM-11, NA-10) as one PDF and one xlsx: post-meeting filing report,
results publicity, expert draw list (office copy only), sign-in sheet, opinions, the signed tally
with its counts, the passed list and the confirmation.

Pure rendering: the content comes in as :class:`MeetingFileContent`; the only I/O is reading the
CJK font (``zhicheng_common.pdf_font``). The passed list names the applicants: the file is read by
the office, HR and auditors only, and not before the results are publicized (NA-10).

reportlab and openpyxl are imported by the functions that render, not with this module: the
service renders in a worker process of its own (``result.service._render``), and a service that
imported them and registered the font would carry 50 MB more for the rest of its life
(``libs/common/tests/unit/test_lazy_imports.py``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from zhicheng_common.pdf_font import register_cjk_font

LEVEL_NAMES = {"junior": "初级", "intermediate": "中级", "associate_senior": "副高级", "senior": "正高级"}


@dataclass(frozen=True)
class TallyPart:
    """A closed round's signed tally: its number, signing key, signature and counts per applicant."""

    round: int
    key_id: str
    signature: str
    counts: Sequence[dict[str, Any]]


@dataclass(frozen=True)
class MeetingFileContent:
    committee_name: str
    meeting_id: str
    meeting_date: date
    venue: str
    policy_pack: str
    post_meeting_filed_on: date | None
    post_meeting_filing_due: date
    publicity_opened_on: date | None
    publicity_open_through: date | None
    objections: Sequence[tuple[str, str]]  # (declaration, status)
    draw_id: str | None
    draw_list: Sequence[tuple[str, str]] | None  # (expert, specialty); None: not the office's copy
    sign_in: Sequence[tuple[str, str]]  # (expert, signed in at)
    opinions: Sequence[tuple[str, str, int, str]]  # (declaration, expert, score, text)
    tallies: Sequence[TallyPart]
    names: dict[str, str] = field(default_factory=dict)  # declaration → applicant's name
    passed: Sequence[tuple[str, str]] = ()  # (declaration, title name)
    confirmation: tuple[str, str, date] | None = None  # (authority, document number, confirmed on)

    def name(self, declaration_id: str) -> str:
        return self.names.get(declaration_id) or declaration_id


def count_sentence(content: MeetingFileContent, row: dict[str, Any]) -> str:
    """One applicant's counts as the file states them (NA-7): yes, no, abstain, blank, the bound."""
    verdict = "通过" if row["passed"] else "未通过"
    return (
        f"{content.name(row['applicant'])}：赞成{row['yes']}票，反对{row['no']}票，弃权{row['abstain']}票，"
        f"未投{row['blank']}票；计票人数{row['denominator']}，须赞成{row['required']}票，{verdict}"
    )


def _sections(content: MeetingFileContent) -> list[tuple[str, list[str], list[list[str]]]]:
    """Each section: title, header, rows (the same for the PDF and the xlsx)."""
    post = (
        [[content.post_meeting_filed_on.isoformat(), content.post_meeting_filing_due.isoformat()]]
        if content.post_meeting_filed_on
        else [["未备案", content.post_meeting_filing_due.isoformat()]]
    )
    sections: list[tuple[str, list[str], list[list[str]]]] = [
        ("会后备案报告 (CM-9)", ["备案日期", "应备案截止"], post),
        (
            "评审结果公示 (NA-11)",
            ["公示开始", "公示截止", "异议"],
            [
                [
                    content.publicity_opened_on.isoformat() if content.publicity_opened_on else "未公示",
                    content.publicity_open_through.isoformat() if content.publicity_open_through else "",
                    f"{len(content.objections)}件",
                ]
            ]
            + [[content.name(d), "", status] for d, status in content.objections],
        ),
    ]
    if content.draw_list is not None:
        sections.append(
            (
                f"专家抽取名单 (EX-1，抽取 {content.draw_id or ''})",
                ["专家", "专业"],
                [[e, s] for e, s in content.draw_list],
            )
        )
    sections += [
        ("签到表 (MT-1)", ["专家", "签到时间"], [[e, t] for e, t in content.sign_in]),
        (
            "专家评审意见 (MT-2, NA-8)",
            ["申报人", "专家", "评分", "意见"],
            [[content.name(d), e, str(score), text] for d, e, score, text in content.opinions],
        ),
    ]
    for tally in content.tallies:
        sections.append(
            (
                f"第{tally.round}轮表决计票结果 (NA-7，签名密钥 {tally.key_id})",
                ["申报人", "赞成", "反对", "弃权", "未投", "计票人数", "须赞成", "结果"],
                [
                    [
                        content.name(row["applicant"]),
                        str(row["yes"]),
                        str(row["no"]),
                        str(row["abstain"]),
                        str(row["blank"]),
                        str(row["denominator"]),
                        str(row["required"]),
                        "通过" if row["passed"] else "未通过",
                    ]
                    for row in tally.counts
                ],
            )
        )
    sections.append(("评审通过人员名单", ["申报人", "职称"], [[content.name(d), t] for d, t in content.passed]))
    if content.confirmation is not None:
        authority, number, on = content.confirmation
        sections.append(
            ("评审结果确认 (NA-11)", ["确认部门", "文号", "确认日期"], [[authority, number, on.isoformat()]])
        )
    return sections


def render_pdf(content: MeetingFileContent, *, font_file: Path) -> bytes:
    """The meeting file as an A4 PDF with the CJK font embedded (raises ``FontFileError``)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_cjk_font(font_file)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, wordWrap="CJK")
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=18, wordWrap="CJK", spaceBefore=6)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    story: list[Any] = [
        Paragraph(f"{content.committee_name} 评审会议档案", title),
        Paragraph(
            f"会议 {content.meeting_id}，{content.meeting_date.isoformat()}，{content.venue}；"
            f"政策 {content.policy_pack}",
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    for name, header, rows in _sections(content):
        story.append(Paragraph(name, heading))
        cells = [[Paragraph(c, body) for c in header]] + [[Paragraph(c, body) for c in row] for row in rows]
        table = Table(cells, repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, "#808080"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
    for tally in content.tallies:
        story.append(Paragraph(f"第{tally.round}轮计票（签名 {tally.signature[:16]}…）", heading))
        story += [Paragraph(count_sentence(content, row), body) for row in tally.counts]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title="评审会议档案", leftMargin=15 * mm, rightMargin=15 * mm).build(story)
    return out.getvalue()


def render_xlsx(content: MeetingFileContent) -> bytes:
    """The meeting file as a workbook: one sheet per section."""
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for index, (name, header, rows) in enumerate(_sections(content), start=1):
        sheet = book.create_sheet(f"{index:02d}")
        sheet.append([name])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_all(files: Sequence[tuple[MeetingFileContent, str]], font_file: Path) -> list[bytes]:
    """Each (content, ``"pdf"`` or ``"xlsx"``) rendered, in order: the worker process's one task."""
    return [
        render_xlsx(content) if fmt == "xlsx" else render_pdf(content, font_file=font_file) for content, fmt in files
    ]
