"""Pure tally of a ballot round (计票, NA-7, NA-9, MT-3) and its recount from the published receipts.

An applicant passes iff yes ≥ ceil(threshold × A): A is the attending experts, less those who
recused for the applicant when the pack's flag ``recused_expert_reduces_denominator`` says so
(NA-9). Abstentions and blanks are not yes. The bound is computed in exact rational arithmetic
(``Ratio.min_count`` for the pack, :class:`fractions.Fraction` in the recount of a document),
never in floats: ⅔ × 9 must be exactly 6.

The published tally document lists every ballot row (the receipt's tag for one applicant, and the
choice) and no voter, so anyone can recount it (:func:`recount`) and an expert finds their own
rows from their receipt (:func:`receipt_votes`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Any

from zhicheng_committees.ballot.domain import Choice, ballot_tag
from zhicheng_committees.meeting.domain import ApplicantId
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.policy import PolicyPack
from zhicheng_common.refusals import Refusal

#: The format of the signed tally document; a change of its fields is a new version.
TALLY_FORMAT = "zc-tally-v1"


@dataclass(frozen=True)
class ApplicantTally:
    """The count of one applicant in one round, and whether they passed."""

    applicant: ApplicantId
    yes: int
    no: int
    abstain: int
    blank: int
    attending: int
    recused: int
    denominator: int
    required: int
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "applicant": self.applicant,
            "yes": self.yes,
            "no": self.no,
            "abstain": self.abstain,
            "blank": self.blank,
            "attending": self.attending,
            "recused": self.recused,
            "denominator": self.denominator,
            "required": self.required,
            "passed": self.passed,
        }


def denominator(pack: PolicyPack, *, attending: int, recused: int) -> int:
    """NA-7, NA-9: the attending experts, less the recused ones only where the pack's flag says so."""
    if pack.parameters.recused_expert_reduces_denominator.value:
        return attending - recused
    return attending


def required_yes(pack: PolicyPack, denominator: int) -> int:
    """NA-7: the fewest yes votes that pass: ceil(threshold × denominator), bound included ("以上")."""
    return pack.parameters.pass_threshold.value.min_count(denominator)


def tally_applicant(
    pack: PolicyPack, *, applicant: ApplicantId, attending: int, recused: int, choices: Sequence[Choice]
) -> ApplicantTally:
    """NA-7: count one applicant's choices; everything not a yes (no, abstain, blank) does not help them pass.

    Blanks are the experts of the denominator who marked nothing for the applicant.
    """
    counted = denominator(pack, attending=attending, recused=recused)
    yes = sum(1 for c in choices if c is Choice.YES)
    no = sum(1 for c in choices if c is Choice.NO)
    abstain = sum(1 for c in choices if c is Choice.ABSTAIN)
    blank = max(counted - len(choices), 0)
    required = required_yes(pack, counted)
    return ApplicantTally(
        applicant=applicant,
        yes=yes,
        no=no,
        abstain=abstain,
        blank=blank,
        attending=attending,
        recused=recused,
        denominator=counted,
        required=required,
        # A denominator of 0 (everyone recused) passes nobody: there was no vote.
        passed=counted > 0 and yes >= required,
    )


def tally_round(
    pack: PolicyPack,
    *,
    applicants: Sequence[ApplicantId],
    attending: int,
    recused: Mapping[ApplicantId, int],
    ballots: Sequence[Mapping[ApplicantId, str]],
) -> list[ApplicantTally]:
    """NA-7: tally every applicant of a round from its ballots (each ballot: applicant → choice)."""
    out: list[ApplicantTally] = []
    for applicant in sorted(applicants):
        choices = [Choice(b[applicant]) for b in ballots if applicant in b]
        out.append(
            tally_applicant(
                pack, applicant=applicant, attending=attending, recused=recused.get(applicant, 0), choices=choices
            )
        )
    return out


def tally_rows(
    pack: PolicyPack,
    *,
    applicants: Sequence[ApplicantId],
    attending: int,
    recused: Mapping[ApplicantId, int],
    rows: Sequence[BallotRow],
) -> list[ApplicantTally]:
    """NA-7: tally every applicant of a round from its ballot rows (one row per applicant marked)."""
    by_applicant: dict[ApplicantId, list[Choice]] = {a: [] for a in applicants}
    for row in rows:
        by_applicant[row.applicant].append(Choice(row.choice))
    return [
        tally_applicant(pack, applicant=a, attending=attending, recused=recused.get(a, 0), choices=by_applicant[a])
        for a in sorted(applicants)
    ]


@dataclass(frozen=True)
class BallotRow:
    """One published row of a ballot: the receipt's tag for the applicant, the applicant, the choice."""

    tag: str
    applicant: ApplicantId
    choice: str


def tally_content(
    pack: PolicyPack,
    *,
    meeting_id: str,
    round_id: str,
    round_number: int,
    attending: int,
    tallies: Sequence[ApplicantTally],
    rows: Sequence[BallotRow],
    closed_at: str,
) -> dict[str, Any]:
    """The tally document the service signs: counts, every ballot row, the round and the pack.

    It names no expert; rows are listed in the order of their tags, which are random-looking, and a
    paper's rows for different applicants share nothing (docs/secret-ballot.md).
    """
    p = pack.parameters
    return {
        "format": TALLY_FORMAT,
        "meeting_id": meeting_id,
        "round_id": round_id,
        "round": round_number,
        "closed_at": closed_at,
        "policy_pack": pack.id,
        "pass_threshold": str(p.pass_threshold.value),
        "recused_reduce_denominator": p.recused_expert_reduces_denominator.value,
        "rules": sorted({p.pass_threshold.rule, *p.pass_threshold.also, p.recused_expert_reduces_denominator.rule}),
        "attending": attending,
        "applicants": [t.as_dict() for t in tallies],
        "ballots": [
            {"tag": r.tag, "applicant": r.applicant, "choice": r.choice} for r in sorted(rows, key=lambda r: r.tag)
        ],
    }


def recount(content: Mapping[str, Any]) -> list[Refusal]:
    """Recount a published tally document from its ballot rows alone; empty when every count agrees.

    Uses only the document (threshold, attending, recused counts, rows), so anyone can run it; the
    bound is computed with exact fractions.
    """
    problems: list[Refusal] = []
    threshold = Fraction(str(content["pass_threshold"]))
    rows = content["ballots"]
    if len({r["tag"] for r in rows}) != len(rows):
        problems.append(Refusal("NA-7", "tag_twice", "选票标记重复"))
    by_applicant: dict[ApplicantId, list[str]] = {}
    for r in rows:
        by_applicant.setdefault(r["applicant"], []).append(r["choice"])
    for row in content["applicants"]:
        applicant = row["applicant"]
        votes = by_applicant.get(applicant, [])
        recused = int(row["recused"])
        counted = int(row["attending"]) - (recused if content["recused_reduce_denominator"] else 0)
        if len(votes) > int(row["attending"]) - recused:
            problems.append(Refusal("NA-7", "more_ballots_than_voters", f"申报人 {applicant} 的选票多于可投票专家数"))
        expected = {
            "yes": votes.count(Choice.YES.value),
            "no": votes.count(Choice.NO.value),
            "abstain": votes.count(Choice.ABSTAIN.value),
            "blank": max(counted - len(votes), 0),
            "denominator": counted,
            "required": math.ceil(threshold * counted),
        }
        expected["passed"] = counted > 0 and expected["yes"] >= expected["required"]
        for key, value in expected.items():
            if row[key] != value:
                problems.append(
                    Refusal(
                        "NA-7",
                        "count_mismatch",
                        f"申报人 {applicant} 的 {key} 公布为 {row[key]}，按选票重新计票为 {value}",
                        (f"applicants.{applicant}.{key}",),
                    )
                )
    listed = {row["applicant"] for row in content["applicants"]}
    strays = sorted({r["applicant"] for r in rows} - listed)
    if strays:
        problems.append(Refusal("NA-7", "ballot_for_unknown_applicant", f"选票涉及未表决的申报人：{'、'.join(strays)}"))
    return problems


def receipt_votes(content: Mapping[str, Any], receipt: str) -> dict[ApplicantId, str]:
    """What the holder of ``receipt`` finds in a published tally: applicant → the choice counted.

    An applicant they marked but that is missing here means their ballot was not counted as cast.
    """
    round_id = str(content["round_id"])
    by_tag = {r["tag"]: r for r in content["ballots"]}
    out: dict[ApplicantId, str] = {}
    for row in content["applicants"]:
        tag = ballot_tag(receipt, round_id, row["applicant"])
        if tag in by_tag:
            out[row["applicant"]] = by_tag[tag]["choice"]
    return out


# --- the meeting file and the results entry (CM-11) ----------------------------------------------


class MeetingFileItem(StrEnum):
    """CM-11: what the meeting file entered with the results holds."""

    POST_MEETING_FILING_REPORT = "post_meeting_filing_report"  # 会后备案报告
    RESULTS_PUBLICITY = "results_publicity"  # 评审结果公示
    EXPERT_DRAW_LIST = "expert_draw_list"  # 专家抽取名单
    SIGN_IN_SHEET = "sign_in_sheet"  # 签到表
    EXPERT_REVIEW_FORMS = "expert_review_forms"  # 专家评审表
    RESULTS_CONFIRMATION = "results_confirmation"  # 评审结果确认表（含票数）
    PASSED_LIST = "passed_list"  # 通过人员名单
    PHOTOS = "photos"  # 会议照片


def missing_meeting_file_items(items: Iterable[str]) -> list[MeetingFileItem]:
    """CM-11: the items of the meeting file not supplied, in the rule's order."""
    given = set(items)
    return [item for item in MeetingFileItem if item.value not in given]


def results_entry_due(pack: PolicyPack, calendar: WorkingDayCalendar, appointment_document_date: date) -> date:
    """CM-11: results are entered within the pack's working days after the appointment document."""
    return calendar.deadline(appointment_document_date, pack.parameters.results_entry_working_days.value)
