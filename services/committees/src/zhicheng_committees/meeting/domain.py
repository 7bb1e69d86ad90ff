"""Pure rules of an evaluation meeting (评审会议): opening (CM-8, EX-1, MT-1, NA-1, NA-7), review
groups and their independent opinions (MT-2, NA-8), recusal (NA-9).

No I/O: every function takes the policy pack and the facts it judges and returns refusals
(:class:`zhicheng_common.refusals.Refusal`), which the service turns into a problem. Experts are
named by the subject of their own token (the panel of ``experts.panel.drawn`` carries it), so
signing in is the expert's own act.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from zhicheng_common.policy import PolicyPack
from zhicheng_common.refusals import Refusal

ExpertId = str
ApplicantId = str


class MeetingStatus(StrEnum):
    """A meeting is scheduled, then opened once its quorum is present, then closed (封闭管理 ends)."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class EvaluationForm(StrEnum):
    """MT-4: the forms an evaluation may combine."""

    MATERIAL_REVIEW = "material_review"  # 材料评审
    PERSONAL_REPORT = "personal_report"  # 个人陈述
    DEFENCE = "defence"  # 面试答辩
    PRACTICAL_OPERATION = "practical_operation"  # 实际操作
    DISPLAY_OF_WORK = "display_of_work"  # 业绩展示


# --- opening (CM-8, EX-1, MT-1, NA-1, NA-7) ------------------------------------------------------


def quorum_required(pack: PolicyPack, members: int) -> int:
    """MT-1, NA-7: the fewest attending experts that make a quorum: ceil(share × members), bound included."""
    return pack.parameters.quorum.value.min_count(members)


def remote_refusal(pack: PolicyPack, *, remote: bool) -> Refusal | None:
    """MT-4: a remote meeting only where the pack allows remote evaluation."""
    parameter = pack.parameters.remote_evaluation_allowed
    if remote and not parameter.value:
        return Refusal(parameter.rule, "remote_not_allowed", "本政策包不允许远程评审", ("remote",))
    return None


def opening_refusals(
    pack: PolicyPack,
    *,
    pre_meeting_consented: bool,
    panel: Collection[ExpertId],
    attending: Collection[ExpertId],
    chair: ExpertId | None,
) -> list[Refusal]:
    """Why a meeting may not open yet; empty when it may.

    CM-8: only after the written consent to the pre-meeting filing. EX-1: a drawn panel. MT-1 and
    NA-1: an odd number of members. MT-1 and NA-7: attending experts at least the pack's share of
    the members. NA-1: a chair, who attends.
    """
    p = pack.parameters
    out: list[Refusal] = []
    if not pre_meeting_consented:
        out.append(
            Refusal(
                p.pre_meeting_filing_working_days.rule,
                "pre_meeting_consent_missing",
                "会前备案尚未获书面同意，评审会议不能召开",
            )
        )
    if not panel:
        out.append(Refusal("EX-1", "panel_not_drawn", "评审专家尚未抽取，评审会议不能召开"))
        return out
    members = len(panel)
    if p.members_odd.value and members % 2 == 0:
        out.append(
            Refusal(p.members_odd.rule, "members_not_odd", f"评审会议专家人数应为奇数，实际为{members}人", ("panel",))
        )
    present = set(attending) & set(panel)
    required = quorum_required(pack, members)
    if len(present) < required:
        out.append(
            Refusal(
                p.quorum.rule,
                "quorum_not_met",
                f"出席专家{len(present)}人，不足应到{members}人的{p.quorum.value}（至少{required}人），会议不能召开",
                ("attending",),
            )
        )
    if chair is None:
        out.append(Refusal("NA-1", "chair_missing", "评审会议须确定主持会议的主任委员", ("chair",)))
    elif chair not in present:
        out.append(Refusal("NA-1", "chair_not_attending", "主任委员须为已签到的出席专家", ("chair",)))
    return out


def sign_in_refusal(*, status: MeetingStatus, panel: Collection[ExpertId], expert: ExpertId) -> Refusal | None:
    """MT-1: only a drawn member signs in (their own token), before the meeting closes."""
    if expert not in panel:
        return Refusal("MT-1", "not_a_member", "您不是本次评审会议抽取的评审专家，不能签到")
    if status is MeetingStatus.CLOSED:
        return Refusal("NA-10", "meeting_closed", "评审会议已结束，不能签到")
    return None


# --- review groups (MT-2, NA-8) and recusal (NA-9) ---------------------------------------------


def recusal_refusal(
    *,
    attending: Collection[ExpertId],
    expert: ExpertId,
    applicant: ApplicantId,
    applicants: Collection[ApplicantId],
    recused: Mapping[ApplicantId, Collection[ExpertId]],
) -> Refusal | None:
    """NA-9: an attending expert recuses for an applicant of the meeting, once."""
    if applicant not in applicants:
        return Refusal("MT-3", "applicant_not_in_meeting", "该申报人不在本次评审会议中", ("applicant",))
    if expert not in attending:
        return Refusal("MT-3", "not_attending", "您未签到出席本次评审会议")
    if expert in recused.get(applicant, ()):
        return Refusal("NA-9", "already_recused", "您已对该申报人申请回避")
    return None


def group_refusals(
    pack: PolicyPack,
    *,
    groups: Mapping[ApplicantId, Collection[ExpertId]],
    applicants: Collection[ApplicantId],
    attending: Collection[ExpertId],
    recused: Mapping[ApplicantId, Collection[ExpertId]],
) -> list[Refusal]:
    """MT-2, NA-8: every applicant is read by at least the pack's number of attending, non-recused experts."""
    parameter = pack.parameters.min_readers_per_applicant
    out: list[Refusal] = []
    present = set(attending)
    for applicant in sorted(applicants):
        members = set(groups.get(applicant, ()))
        conflicted = members & set(recused.get(applicant, ()))
        if conflicted:
            out.append(
                Refusal(
                    "NA-9",
                    "recused_in_group",
                    f"申报人 {applicant} 的评议组含已回避的专家 {'、'.join(sorted(conflicted))}",
                    (f"groups.{applicant}",),
                )
            )
        absent = members - present
        if absent:
            out.append(
                Refusal(
                    "MT-3",
                    "group_member_not_attending",
                    f"申报人 {applicant} 的评议组含未出席的专家 {'、'.join(sorted(absent))}",
                    (f"groups.{applicant}",),
                )
            )
        readers = len(members - conflicted - absent)
        if readers < parameter.value:
            out.append(
                Refusal(
                    parameter.rule,
                    "group_too_small",
                    f"申报人 {applicant} 的材料须由至少{parameter.value}名专家独立审阅，现有{readers}名",
                    (f"groups.{applicant}",),
                )
            )
    unknown = sorted(set(groups) - set(applicants))
    if unknown:
        out.append(
            Refusal(
                "MT-3",
                "applicant_not_in_meeting",
                f"以下申报人不在本次评审会议中：{'、'.join(unknown)}",
                tuple(f"groups.{a}" for a in unknown),
            )
        )
    return out


@dataclass(frozen=True)
class Opinion:
    """An expert's written opinion (评审意见) on one applicant: a score and a text."""

    expert: ExpertId
    applicant: ApplicantId
    score: int
    text: str


def opinion_refusal(
    *,
    expert: ExpertId,
    applicant: ApplicantId,
    group: Collection[ExpertId],
    recused: Collection[ExpertId],
    written: Collection[ExpertId],
    status: MeetingStatus,
) -> Refusal | None:
    """MT-2, NA-8, NA-9: a group member who has not recused writes one opinion, while the meeting is open."""
    if status is not MeetingStatus.OPEN:
        return Refusal("NA-8", "meeting_not_open", "评审会议未在进行中，不能提交评审意见")
    if expert in recused:
        return Refusal("NA-9", "recused", "您已对该申报人回避，不能提交评审意见")
    if expert not in group:
        return Refusal("MT-2", "not_in_group", "您不在该申报人的评议组中")
    if expert in written:
        return Refusal("MT-2", "opinion_already_written", "您已提交对该申报人的评审意见，独立意见不能改写")
    return None


def readable_opinions(
    opinions: Sequence[Opinion],
    *,
    reader: ExpertId,
    group: Collection[ExpertId],
    recused: Collection[ExpertId],
) -> list[Opinion]:
    """MT-2: opinions are independent, so a member reads the others' only once every reader of the group wrote.

    Until then each member sees their own opinion only; a recused expert never counts as a missing writer.
    """
    expected = set(group) - set(recused)
    writers = {o.expert for o in opinions}
    if expected <= writers:
        return list(opinions)
    return [o for o in opinions if o.expert == reader]


def opinions_complete(
    opinions: Sequence[Opinion], *, group: Collection[ExpertId], recused: Collection[ExpertId]
) -> bool:
    """MT-2, NA-8: every non-recused member of the group has written (the vote follows the opinions)."""
    return set(group) - set(recused) <= {o.expert for o in opinions}
