"""Pure rules of the secret ballot (无记名投票): rounds (MT-3), who may cast a ballot and when (NA-7, NA-9).

A ballot is one expert's paper in one round: a choice per applicant of the round (yes / no /
abstain). An applicant left off the paper is a blank (弃权以外的空白票), and neither an abstention
nor a blank is a yes (NA-7). An expert who recused for an applicant (NA-9) leaves it off.

The rules here decide *whether* a ballot is accepted; how the store keeps "that" apart from
"what" is the service's business (docs/secret-ballot.md).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

from zhicheng_committees.meeting.domain import ApplicantId, ExpertId, MeetingStatus
from zhicheng_common.policy import PolicyPack
from zhicheng_common.refusals import Refusal


class Choice(StrEnum):
    """What an expert marks for one applicant."""

    YES = "yes"  # 同意
    NO = "no"  # 不同意
    ABSTAIN = "abstain"  # 弃权


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    VOID = "void"  # its envelope key was lost with the process that held it: never counted


def round_opening_refusal(
    pack: PolicyPack,
    *,
    meeting_status: MeetingStatus,
    rounds_held: int,
    round_open: bool,
    applicants: Collection[ApplicantId],
    meeting_applicants: Collection[ApplicantId],
) -> Refusal | None:
    """MT-3, NA-7: an open meeting holds one round at a time, at most the pack's number of rounds."""
    parameter = pack.parameters.ballot_rounds_max
    if meeting_status is not MeetingStatus.OPEN:
        return Refusal("MT-3", "meeting_not_open", "评审会议未在进行中，不能开始投票")
    if round_open:
        return Refusal("MT-3", "round_already_open", "上一轮投票尚未结束")
    if rounds_held >= parameter.value:
        return Refusal(parameter.rule, "rounds_exhausted", f"本政策包每次会议至多进行{parameter.value}轮投票")
    if not applicants:
        return Refusal("MT-3", "round_without_applicants", "投票轮次须列明表决的申报人", ("applicants",))
    unknown = sorted(set(applicants) - set(meeting_applicants))
    if unknown:
        return Refusal(
            "MT-3", "applicant_not_in_meeting", f"以下申报人不在本次评审会议中：{'、'.join(unknown)}", ("applicants",)
        )
    return None


def ballot_refusal(
    *,
    caller: ExpertId,
    voter: ExpertId,
    round_status: RoundStatus,
    attending: Collection[ExpertId],
    already_voted: bool,
    recused: Mapping[ApplicantId, Collection[ExpertId]],
    choices: Mapping[ApplicantId, Choice],
    applicants: Collection[ApplicantId],
) -> Refusal | None:
    """NA-7, NA-9, MT-3: whether ``caller`` may cast this ballot for ``voter``; None when it is accepted.

    NA-7: no votes after the round closes, no proxy votes (the caller votes only as themselves),
    one ballot per expert per round. MT-3: only attending experts vote. NA-9: no vote on an
    applicant one recused for.
    """
    if round_status is not RoundStatus.OPEN:
        return Refusal("NA-7", "round_closed", "本轮投票已结束，不再接受投票")
    if caller != voter:
        return Refusal("NA-7", "proxy_vote", "不得委托或代替他人投票")
    if voter not in attending:
        return Refusal("MT-3", "not_attending", "只有签到出席的评审专家才能投票")
    if already_voted:
        return Refusal("NA-7", "already_voted", "您已在本轮投票，每位专家每轮只能投一次")
    conflicted = sorted(a for a in choices if voter in recused.get(a, ()))
    if conflicted:
        return Refusal("NA-9", "recused", f"您已对以下申报人回避，不能投票：{'、'.join(conflicted)}", ("choices",))
    unknown = sorted(set(choices) - set(applicants))
    if unknown:
        return Refusal(
            "MT-3", "applicant_not_in_round", f"以下申报人不在本轮表决中：{'、'.join(unknown)}", ("choices",)
        )
    return None


def normalized(choices: Mapping[ApplicantId, Choice]) -> dict[ApplicantId, str]:
    """The ballot as stored and published: applicant → choice, in applicant order (no trace of how it was typed)."""
    return {applicant: choices[applicant].value for applicant in sorted(choices)}


# --- the sealed envelope and the receipt's tags (docs/secret-ballot.md) ------------------------

#: Characters of a receipt: ``secrets.token_urlsafe(18)`` is 24 URL-safe characters (144 bits).
RECEIPT_LENGTH = 24
#: One byte per applicant of the round in the envelope's plaintext; ``-`` is a blank (or a recusal).
_MARKS: dict[str, str] = {Choice.YES.value: "y", Choice.NO.value: "n", Choice.ABSTAIN.value: "a"}
_CHOICES = {mark: choice for choice, mark in _MARKS.items()}
BLANK_MARK = "-"
TAG_DOMAIN = "zc-ballot-v1"


def envelope_plaintext(receipt: str, applicants: Sequence[ApplicantId], choices: Mapping[ApplicantId, Choice]) -> bytes:
    """NA-7: the plaintext sealed in an envelope, the same length for every ballot of the round.

    The receipt, then one mark per applicant in the round's order, so neither the size of the
    envelope nor its layout depends on what, or how much, was marked.
    """
    if len(receipt) != RECEIPT_LENGTH:
        raise ValueError("a receipt is 24 characters")
    marks = "".join(_MARKS[choices[a].value] if a in choices else BLANK_MARK for a in applicants)
    return (receipt + marks).encode("ascii")


def open_plaintext(plaintext: bytes, applicants: Sequence[ApplicantId]) -> tuple[str, dict[ApplicantId, str]]:
    """The receipt and the marked choices (applicant → choice) of an envelope's plaintext."""
    text = plaintext.decode("ascii")
    receipt, marks = text[:RECEIPT_LENGTH], text[RECEIPT_LENGTH:]
    if len(marks) != len(applicants):
        raise ValueError("the envelope does not match the round's applicants")
    return receipt, {a: _CHOICES[m] for a, m in zip(applicants, marks, strict=True) if m != BLANK_MARK}


def ballot_tag(receipt: str, round_id: str, applicant: ApplicantId) -> str:
    """The tag of one applicant's row of a ballot: HMAC-SHA256 keyed by the receipt (hex).

    Only the receipt's holder can compute it, and rows of one paper share nothing visible.
    """
    message = f"{TAG_DOMAIN}|{round_id}|{applicant}".encode()
    return hmac.new(receipt.encode(), message, hashlib.sha256).hexdigest()


def opinions_refusal(incomplete: Sequence[ApplicantId]) -> Refusal | None:
    """NA-8, MT-2: the vote follows the written opinions: every group has written before a round opens."""
    if not incomplete:
        return None
    return Refusal(
        "NA-8",
        "opinions_incomplete",
        f"以下申报人的评议组尚未全部提交书面评审意见，不能表决：{'、'.join(incomplete)}",
        ("applicants",),
    )
