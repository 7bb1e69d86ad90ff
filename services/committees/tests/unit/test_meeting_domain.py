"""Meeting rules: opening (CM-8, EX-1, MT-1, NA-1, NA-7), review groups (MT-2, NA-8), recusal (NA-9)."""

from __future__ import annotations

from zhicheng_committees.meeting.domain import (
    MeetingStatus,
    Opinion,
    group_refusals,
    opening_refusals,
    opinion_refusal,
    opinions_complete,
    quorum_required,
    readable_opinions,
    recusal_refusal,
    remote_refusal,
    sign_in_refusal,
)
from zhicheng_common.policy import Parameter, load_pack

PACK = load_pack("shanxi-2024")
PANEL_21 = [f"expert-{i:02d}" for i in range(21)]


def codes(refusals: list) -> set[str]:  # type: ignore[type-arg]
    return {r.code for r in refusals}


def test_MT_1_NA_7_panel_of_21_with_13_attending_cannot_open() -> None:
    # 2/3 × 21 = 14 exactly; 13 < 14.
    refusals = opening_refusals(
        PACK, pre_meeting_consented=True, panel=PANEL_21, attending=PANEL_21[:13], chair=PANEL_21[0]
    )
    assert [(r.rule, r.code) for r in refusals] == [("MT-1", "quorum_not_met")]
    assert "13" in refusals[0].message
    assert "14" in refusals[0].message


def test_MT_1_NA_7_panel_of_21_with_14_attending_opens() -> None:
    assert (
        opening_refusals(PACK, pre_meeting_consented=True, panel=PANEL_21, attending=PANEL_21[:14], chair=PANEL_21[0])
        == []
    )


def test_MT_1_quorum_is_the_ceiling_of_two_thirds_bound_included() -> None:
    # Hand-worked: ceil(2·n/3).
    assert [quorum_required(PACK, n) for n in (9, 11, 15, 21, 25)] == [6, 8, 10, 14, 17]


def test_MT_1_attendance_of_someone_outside_the_panel_does_not_count() -> None:
    refusals = opening_refusals(
        PACK,
        pre_meeting_consented=True,
        panel=PANEL_21,
        attending=[*PANEL_21[:13], "stranger"],
        chair=PANEL_21[0],
    )
    assert codes(refusals) == {"quorum_not_met"}


def test_CM_8_no_written_consent_to_the_pre_meeting_filing_cannot_open() -> None:
    refusals = opening_refusals(
        PACK, pre_meeting_consented=False, panel=PANEL_21, attending=PANEL_21, chair=PANEL_21[0]
    )
    assert [(r.rule, r.code) for r in refusals] == [("CM-8", "pre_meeting_consent_missing")]


def test_EX_1_no_drawn_panel_cannot_open() -> None:
    refusals = opening_refusals(PACK, pre_meeting_consented=True, panel=[], attending=[], chair=None)
    assert [(r.rule, r.code) for r in refusals] == [("EX-1", "panel_not_drawn")]


def test_MT_1_an_even_panel_cannot_open() -> None:
    panel = PANEL_21[:20]
    refusals = opening_refusals(PACK, pre_meeting_consented=True, panel=panel, attending=panel, chair=panel[0])
    assert [(r.rule, r.code) for r in refusals] == [("MT-1", "members_not_odd")]


def test_MT_1_odd_members_only_when_the_pack_says_so() -> None:
    params = PACK.parameters.model_copy(update={"members_odd": Parameter[bool](value=False, rule="MT-1")})
    pack = PACK.model_copy(update={"parameters": params})
    panel = PANEL_21[:20]
    assert opening_refusals(pack, pre_meeting_consented=True, panel=panel, attending=panel, chair=panel[0]) == []


def test_NA_1_a_chair_who_attends_is_needed() -> None:
    missing = opening_refusals(PACK, pre_meeting_consented=True, panel=PANEL_21, attending=PANEL_21[:14], chair=None)
    absent = opening_refusals(
        PACK, pre_meeting_consented=True, panel=PANEL_21, attending=PANEL_21[:14], chair=PANEL_21[20]
    )
    assert [(r.rule, r.code) for r in missing] == [("NA-1", "chair_missing")]
    assert [(r.rule, r.code) for r in absent] == [("NA-1", "chair_not_attending")]


def test_MT_4_remote_meeting_only_where_the_pack_allows() -> None:
    assert remote_refusal(PACK, remote=True) is None
    params = PACK.parameters.model_copy(update={"remote_evaluation_allowed": Parameter[bool](value=False, rule="MT-4")})
    refused = remote_refusal(PACK.model_copy(update={"parameters": params}), remote=True)
    assert refused is not None
    assert refused.rule == "MT-4"


def test_MT_1_only_members_sign_in_and_not_after_close() -> None:
    assert sign_in_refusal(status=MeetingStatus.SCHEDULED, panel=PANEL_21, expert=PANEL_21[3]) is None
    outsider = sign_in_refusal(status=MeetingStatus.SCHEDULED, panel=PANEL_21, expert="stranger")
    closed = sign_in_refusal(status=MeetingStatus.CLOSED, panel=PANEL_21, expert=PANEL_21[3])
    assert outsider is not None
    assert outsider.code == "not_a_member"
    assert closed is not None
    assert closed.code == "meeting_closed"


# --- review groups -------------------------------------------------------------------------------

ATTENDING = ["a", "b", "c", "d", "e"]


def test_MT_2_NA_8_each_applicant_needs_three_readers() -> None:
    ok = group_refusals(PACK, groups={"p1": ["a", "b", "c"]}, applicants=["p1"], attending=ATTENDING, recused={})
    short = group_refusals(PACK, groups={"p1": ["a", "b"]}, applicants=["p1"], attending=ATTENDING, recused={})
    none = group_refusals(PACK, groups={}, applicants=["p1"], attending=ATTENDING, recused={})
    assert ok == []
    assert [(r.rule, r.code) for r in short] == [("MT-2", "group_too_small")]
    assert [(r.rule, r.code) for r in none] == [("MT-2", "group_too_small")]


def test_NA_9_a_recused_expert_is_not_a_reader() -> None:
    refusals = group_refusals(
        PACK, groups={"p1": ["a", "b", "c"]}, applicants=["p1"], attending=ATTENDING, recused={"p1": ["c"]}
    )
    # Two codes: c may not sit in the group, and only a and b remain (fewer than 3).
    assert [(r.rule, r.code) for r in refusals] == [("NA-9", "recused_in_group"), ("MT-2", "group_too_small")]


def test_MT_2_readers_must_attend_and_applicants_must_be_of_the_meeting() -> None:
    refusals = group_refusals(
        PACK,
        groups={"p1": ["a", "b", "z"], "ghost": ["a", "b", "c"]},
        applicants=["p1"],
        attending=ATTENDING,
        recused={},
    )
    assert [r.code for r in refusals] == ["group_member_not_attending", "group_too_small", "applicant_not_in_meeting"]


def test_NA_9_recusal_is_recorded_once_by_an_attending_expert() -> None:
    assert recusal_refusal(attending=ATTENDING, expert="a", applicant="p1", applicants=["p1"], recused={}) is None
    twice = recusal_refusal(attending=ATTENDING, expert="a", applicant="p1", applicants=["p1"], recused={"p1": ["a"]})
    absent = recusal_refusal(attending=ATTENDING, expert="z", applicant="p1", applicants=["p1"], recused={})
    assert twice is not None
    assert twice.rule == "NA-9"
    assert absent is not None
    assert absent.code == "not_attending"


def test_MT_2_one_opinion_per_group_member_and_none_by_a_recused_one() -> None:
    args = {"applicant": "p1", "group": ["a", "b", "c"], "status": MeetingStatus.OPEN}
    assert opinion_refusal(expert="a", recused=[], written=[], **args) is None  # type: ignore[arg-type]
    again = opinion_refusal(expert="a", recused=[], written=["a"], **args)  # type: ignore[arg-type]
    outsider = opinion_refusal(expert="d", recused=[], written=[], **args)  # type: ignore[arg-type]
    recused = opinion_refusal(expert="a", recused=["a"], written=[], **args)  # type: ignore[arg-type]
    assert again is not None
    assert again.code == "opinion_already_written"
    assert outsider is not None
    assert outsider.code == "not_in_group"
    assert recused is not None
    assert recused.rule == "NA-9"


def test_MT_2_opinions_are_hidden_from_the_others_until_all_are_in() -> None:
    group = ["a", "b", "c"]
    first = [Opinion("a", "p1", 80, "业绩突出"), Opinion("b", "p1", 70, "论文一般")]
    assert readable_opinions(first, reader="a", group=group, recused=[]) == [first[0]]
    assert readable_opinions(first, reader="c", group=group, recused=[]) == []
    assert not opinions_complete(first, group=group, recused=[])
    complete = [*first, Opinion("c", "p1", 75, "同意")]
    assert readable_opinions(complete, reader="c", group=group, recused=[]) == complete
    assert opinions_complete(complete, group=group, recused=[])


def test_NA_9_a_recused_member_is_not_waited_for() -> None:
    opinions = [Opinion("a", "p1", 80, "x"), Opinion("b", "p1", 70, "y")]
    assert readable_opinions(opinions, reader="a", group=["a", "b", "c"], recused=["c"]) == opinions
