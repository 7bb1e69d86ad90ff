"""Secret ballot rules: rounds (MT-3), one ballot per attending expert, no proxy, none after close (NA-7), NA-9."""

from __future__ import annotations

from typing import Any

from zhicheng_committees.ballot.domain import (
    Choice,
    RoundStatus,
    ballot_refusal,
    ballot_tag,
    envelope_plaintext,
    normalized,
    open_plaintext,
    round_opening_refusal,
)
from zhicheng_committees.meeting.domain import MeetingStatus
from zhicheng_common.policy import load_pack

PACK = load_pack("shanxi-2024")
ATTENDING = ["a", "b", "c"]


def ballot(**overrides: Any) -> Any:
    args: dict[str, Any] = {
        "caller": "a",
        "voter": "a",
        "round_status": RoundStatus.OPEN,
        "attending": ATTENDING,
        "already_voted": False,
        "recused": {},
        "choices": {"p1": Choice.YES, "p2": Choice.NO},
        "applicants": ["p1", "p2"],
    }
    args.update(overrides)
    return ballot_refusal(**args)


def rule_code(refusal: Any) -> tuple[str, str]:
    assert refusal is not None
    return refusal.rule, refusal.code


def test_NA_7_an_attending_expert_votes_once_per_round() -> None:
    assert ballot() is None
    assert rule_code(ballot(already_voted=True)) == ("NA-7", "already_voted")


def test_NA_7_no_vote_after_the_round_closes() -> None:
    assert rule_code(ballot(round_status=RoundStatus.CLOSED)) == ("NA-7", "round_closed")


def test_NA_7_no_proxy_vote() -> None:
    assert rule_code(ballot(caller="b", voter="a")) == ("NA-7", "proxy_vote")


def test_MT_3_only_attending_experts_vote() -> None:
    assert rule_code(ballot(caller="z", voter="z")) == ("MT-3", "not_attending")


def test_NA_9_no_vote_on_an_applicant_one_recused_for() -> None:
    assert rule_code(ballot(recused={"p2": ["a"]})) == ("NA-9", "recused")
    # Leaving the applicant off the paper is how a recused expert votes on the rest.
    assert ballot(recused={"p2": ["a"]}, choices={"p1": Choice.YES}) is None


def test_MT_3_a_ballot_names_only_applicants_of_the_round() -> None:
    assert rule_code(ballot(choices={"p9": Choice.YES})) == ("MT-3", "applicant_not_in_round")


def test_MT_3_rounds_as_the_pack_allows() -> None:
    args: dict[str, Any] = {
        "meeting_status": MeetingStatus.OPEN,
        "round_open": False,
        "applicants": ["p1"],
        "meeting_applicants": ["p1", "p2"],
    }
    allowed = PACK.parameters.ballot_rounds_max.value
    assert allowed == 2
    assert round_opening_refusal(PACK, rounds_held=0, **args) is None
    assert round_opening_refusal(PACK, rounds_held=1, **args) is None
    assert rule_code(round_opening_refusal(PACK, rounds_held=2, **args)) == ("MT-3", "rounds_exhausted")
    assert rule_code(round_opening_refusal(PACK, rounds_held=0, **{**args, "round_open": True}))[1] == (
        "round_already_open"
    )
    assert (
        rule_code(round_opening_refusal(PACK, rounds_held=0, **{**args, "meeting_status": MeetingStatus.SCHEDULED}))[1]
        == "meeting_not_open"
    )
    assert rule_code(round_opening_refusal(PACK, rounds_held=0, **{**args, "applicants": ["p7"]}))[1] == (
        "applicant_not_in_meeting"
    )


def test_NA_7_a_stored_ballot_keeps_no_trace_of_typing_order() -> None:
    assert list(normalized({"p2": Choice.NO, "p1": Choice.YES})) == ["p1", "p2"]


def test_NA_7_every_envelope_of_a_round_has_the_same_size_whatever_was_marked() -> None:
    applicants = ["p1", "p2", "p3"]
    receipt = "r" * 24
    sizes = {
        len(envelope_plaintext(receipt, applicants, paper))
        for paper in (
            {"p1": Choice.YES, "p2": Choice.YES, "p3": Choice.YES},
            {"p1": Choice.ABSTAIN},
            {},
            {"p2": Choice.NO, "p3": Choice.ABSTAIN},
        )
    }
    # 24 receipt characters + one mark per applicant of the round.
    assert sizes == {27}


def test_NA_7_an_envelope_opens_to_its_receipt_and_marked_choices_only() -> None:
    plaintext = envelope_plaintext("x" * 24, ["p1", "p2", "p3"], {"p1": Choice.NO, "p3": Choice.ABSTAIN})
    assert plaintext == b"x" * 24 + b"n-a"
    assert open_plaintext(plaintext, ["p1", "p2", "p3"]) == ("x" * 24, {"p1": "no", "p3": "abstain"})


def test_NA_7_a_tag_depends_on_receipt_round_and_applicant() -> None:
    tag = ballot_tag("a" * 24, "round-1", "p1")
    assert len(tag) == 64
    assert tag != ballot_tag("b" * 24, "round-1", "p1")
    assert tag != ballot_tag("a" * 24, "round-2", "p1")
    assert tag != ballot_tag("a" * 24, "round-1", "p2")
    assert tag == ballot_tag("a" * 24, "round-1", "p1")
