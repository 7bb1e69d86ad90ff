"""The life of a draw (EX-1): one draw per commitment, redraws with a reason, signatures, replacements."""

from __future__ import annotations

from zhicheng_experts.draw.domain import (
    DrawStatus,
    Lot,
    PanelState,
    Refusal,
    Replacement,
    draws_voided_by,
    new_draw_refusal,
    replace_member,
    reveal_refusal,
    signature_refusal,
    status_after_signatures,
)

from .conftest import PARAMS


def test_EX_1_the_first_draw_of_a_meeting_needs_no_reason() -> None:
    assert new_draw_refusal([], None) is None


def test_EX_1_a_second_draw_without_a_recorded_reason_is_refused() -> None:
    for reason in (None, "", "   "):
        refusal = new_draw_refusal([DrawStatus.SIGNED], reason)
        assert refusal is not None
        assert (refusal.rule, refusal.code, refusal.fields) == ("EX-1", "redraw_needs_reason", ("reason",))
    # Even a draw whose commitment is published but not yet drawn counts: no quiet second commitment.
    assert new_draw_refusal([DrawStatus.COMMITTED], None) is not None
    assert new_draw_refusal([DrawStatus.SIGNED], "3名专家因公出差无法到会，备选不足") is None


def test_EX_1_a_redraw_voids_the_earlier_draws_still_standing() -> None:
    previous = [("d1", DrawStatus.VOIDED), ("d2", DrawStatus.SIGNED), ("d3", DrawStatus.COMMITTED)]
    assert draws_voided_by(previous) == ("d2", "d3")


def test_EX_1_a_draw_asked_after_the_commitment_was_revealed_is_refused() -> None:
    assert reveal_refusal(DrawStatus.COMMITTED) is None
    for status in (DrawStatus.DRAWN, DrawStatus.SIGNED):
        refusal = reveal_refusal(status)
        assert refusal is not None
        assert (refusal.rule, refusal.code) == ("EX-1", "commitment_revealed")
    voided = reveal_refusal(DrawStatus.VOIDED)
    assert voided is not None
    assert voided.code == "draw_voided"


def test_EX_1_drawers_sign_a_drawn_result_once_each() -> None:
    assert signature_refusal(DrawStatus.DRAWN, signer_id="s1", signed_by=()) is None
    assert signature_refusal(DrawStatus.SIGNED, signer_id="s4", signed_by=("s1", "s2", "s3")) is None
    twice = signature_refusal(DrawStatus.DRAWN, signer_id="s1", signed_by=("s1",))
    assert twice is not None
    assert twice.code == "already_signed"
    early = signature_refusal(DrawStatus.COMMITTED, signer_id="s1", signed_by=())
    assert early is not None
    assert early.code == "not_drawn"


def test_EX_1_three_signatures_make_the_result_signed() -> None:
    # Both packs: draw_signers = 3 (QJ23 三(二)).
    assert [status_after_signatures(n, PARAMS) for n in (0, 2, 3, 4)] == [
        DrawStatus.DRAWN,
        DrawStatus.DRAWN,
        DrawStatus.SIGNED,
        DrawStatus.SIGNED,
    ]


STATE = PanelState(
    lots=(
        Lot("civil", members=("c1", "c2", "c3"), alternates=("c4", "c5")),
        Lot("power", members=("p1", "p2"), alternates=("p3",)),
    )
)


def test_EX_1_a_member_who_declines_is_replaced_by_the_first_alternate_of_the_specialty() -> None:
    outcome = replace_member(STATE, expert_id="c2", reason="declined", note="出国交流")
    assert not isinstance(outcome, Refusal)
    state, made = outcome
    assert made == Replacement("civil", "c2", "c4", "declined", "出国交流")
    assert state.members("civil") == ("c1", "c4", "c3")
    assert state.members("power") == ("p1", "p2")
    assert state.alternates_left("civil") == ("c5",)


def test_EX_6_NA_9_a_member_found_conflicted_is_replaced_with_the_conflict_recorded() -> None:
    refused = replace_member(STATE, expert_id="p1", reason="conflicted")
    assert isinstance(refused, Refusal)
    assert (refused.rule, refused.code) == ("NA-9", "conflict_needs_note")
    outcome = replace_member(STATE, expert_id="p1", reason="conflicted", note="与申报人曾为合作作者")
    assert not isinstance(outcome, Refusal)
    state, made = outcome
    assert (made.replacement, made.reason) == ("p3", "conflicted")
    assert state.members("power") == ("p3", "p2")


def test_EX_1_replacements_take_alternates_in_order_and_a_replacement_can_be_replaced() -> None:
    state = STATE
    for expert_id in ("c1", "c4"):  # c1 declines → c4; then c4 declines too → c5
        outcome = replace_member(state, expert_id=expert_id, reason="declined")
        assert not isinstance(outcome, Refusal)
        state, _ = outcome
    assert state.members("civil") == ("c5", "c2", "c3")
    assert [(r.replaced, r.replacement) for r in state.replacements] == [("c1", "c4"), ("c4", "c5")]
    # No alternate is left in civil.
    none_left = replace_member(state, expert_id="c2", reason="declined")
    assert isinstance(none_left, Refusal)
    assert (none_left.rule, none_left.code) == ("EX-1", "no_alternate_left")


def test_only_a_current_member_can_be_replaced() -> None:
    for expert_id in ("c4", "nobody"):
        refusal = replace_member(STATE, expert_id=expert_id, reason="declined")
        assert isinstance(refusal, Refusal)
        assert refusal.code == "not_a_member"
