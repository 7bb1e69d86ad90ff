"""The tally on its boundaries (NA-7), recusal and the denominator (NA-9), the recount of a published tally."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zhicheng_committees.ballot.domain import Choice, ballot_tag
from zhicheng_committees.result.domain import (
    BallotRow,
    receipt_votes,
    recount,
    tally_applicant,
    tally_content,
    tally_round,
    tally_rows,
)
from zhicheng_committees.result.recount import main as recount_main
from zhicheng_common.policy import Parameter, PolicyPack, load_pack

PACK = load_pack("shanxi-2024")


def with_flag(value: bool) -> PolicyPack:
    params = PACK.parameters.model_copy(
        update={"recused_expert_reduces_denominator": Parameter[bool](value=value, rule="NA-9")}
    )
    return PACK.model_copy(update={"parameters": params})


def votes(yes: int, no: int = 0, abstain: int = 0) -> list[Choice]:
    return [Choice.YES] * yes + [Choice.NO] * no + [Choice.ABSTAIN] * abstain


def test_NA_7_nine_attending_six_yes_passes() -> None:
    # 2/3 × 9 = 6 exactly: "以上" includes the bound.
    t = tally_applicant(PACK, applicant="p", attending=9, recused=0, choices=votes(6, 3))
    assert (t.required, t.passed) == (6, True)


def test_NA_7_nine_attending_five_yes_fails() -> None:
    t = tally_applicant(PACK, applicant="p", attending=9, recused=0, choices=votes(5, 4))
    assert (t.required, t.passed) == (6, False)


def test_NA_7_eleven_attending_eight_yes_passes() -> None:
    # 2/3 × 11 = 7⅓ → 8.
    t = tally_applicant(PACK, applicant="p", attending=11, recused=0, choices=votes(8, 3))
    assert (t.required, t.passed) == (8, True)


def test_NA_7_eleven_attending_seven_yes_fails() -> None:
    t = tally_applicant(PACK, applicant="p", attending=11, recused=0, choices=votes(7, 4))
    assert (t.required, t.passed) == (8, False)


def test_NA_7_abstentions_are_not_yes() -> None:
    t = tally_applicant(PACK, applicant="p", attending=9, recused=0, choices=votes(5, 0, 4))
    assert (t.yes, t.abstain, t.passed) == (5, 4, False)


def test_NA_7_blanks_are_not_yes() -> None:
    # 9 attending, only 6 marked this applicant: 3 blanks.
    t = tally_applicant(PACK, applicant="p", attending=9, recused=0, choices=votes(5, 1))
    assert (t.yes, t.no, t.blank, t.passed) == (5, 1, 3, False)


def test_NA_9_a_recused_expert_lowers_the_denominator_when_the_pack_says_so() -> None:
    # 10 attending, 1 recused, 6 yes: flag on → A = 9, need 6: passes.
    t = tally_applicant(with_flag(True), applicant="p", attending=10, recused=1, choices=votes(6, 3))
    assert (t.denominator, t.required, t.passed) == (9, 6, True)


def test_NA_9_a_recused_expert_stays_in_the_denominator_otherwise() -> None:
    # Flag off → A = 10, need ceil(20/3) = 7: the same 6 yes fail; the recused one is a blank.
    t = tally_applicant(with_flag(False), applicant="p", attending=10, recused=1, choices=votes(6, 3))
    assert (t.denominator, t.required, t.blank, t.passed) == (10, 7, 1, False)


def test_NA_7_nobody_passes_when_everyone_recused() -> None:
    t = tally_applicant(with_flag(True), applicant="p", attending=3, recused=3, choices=[])
    assert (t.denominator, t.passed) == (0, False)


def ballots_for_round() -> dict[str, dict[str, str]]:
    # 5 attending; x recused for p2 (flag on: p2's A = 4, need ceil(8/3) = 3).
    return {
        "r-a": {"p1": "yes", "p2": "yes"},
        "r-b": {"p1": "yes", "p2": "yes"},
        "r-c": {"p1": "yes", "p2": "no"},
        "r-d": {"p1": "no", "p2": "yes"},
        "r-x": {"p1": "abstain"},
    }


def test_NA_7_a_round_is_tallied_per_applicant() -> None:
    receipts = ballots_for_round()
    tallies = tally_round(
        PACK, applicants=["p2", "p1"], attending=5, recused={"p2": 1}, ballots=list(receipts.values())
    )
    by = {t.applicant: t for t in tallies}
    assert [t.applicant for t in tallies] == ["p1", "p2"]
    assert (by["p1"].yes, by["p1"].no, by["p1"].abstain, by["p1"].required, by["p1"].passed) == (3, 1, 1, 4, False)
    assert (by["p2"].yes, by["p2"].no, by["p2"].denominator, by["p2"].required, by["p2"].passed) == (3, 1, 4, 3, True)


def published(receipts: dict[str, dict[str, str]]) -> dict[str, object]:
    rows = [
        BallotRow(tag=ballot_tag(receipt, "r", applicant), applicant=applicant, choice=choice)
        for receipt, paper in receipts.items()
        for applicant, choice in paper.items()
    ]
    tallies = tally_rows(PACK, applicants=["p1", "p2"], attending=5, recused={"p2": 1}, rows=rows)
    return tally_content(
        PACK,
        meeting_id="m",
        round_id="r",
        round_number=1,
        attending=5,
        tallies=tallies,
        rows=rows,
        closed_at="2024-10-11T02:00:00+00:00",
    )


RECEIPTS = {f"receipt-{x}".ljust(24, "x"): paper for x, paper in ballots_for_round().items()}


def test_NA_7_anyone_recounts_the_published_tally_and_finds_a_forged_count() -> None:
    content = published(RECEIPTS)
    # 5 papers: a, b, c, d mark p1 and p2, x marks p1 only (recused for p2): 9 rows.
    assert len(content["ballots"]) == 9  # type: ignore[arg-type]
    assert recount(content) == []
    content["applicants"][0]["yes"] = 4  # type: ignore[index]
    content["applicants"][0]["passed"] = True  # type: ignore[index]
    assert {p.code for p in recount(content)} == {"count_mismatch"}
    assert len(recount(content)) == 2


def test_NA_7_the_rows_of_a_round_give_the_same_counts_as_its_papers() -> None:
    by = {row["applicant"]: row for row in published(RECEIPTS)["applicants"]}  # type: ignore[attr-defined]
    # p1: yes a, b, c; no d; abstain x → 3 yes of A = 5, need ceil(10/3) = 4: fails.
    assert (by["p1"]["yes"], by["p1"]["no"], by["p1"]["abstain"], by["p1"]["passed"]) == (3, 1, 1, False)
    # p2: yes a, b, d; no c; x recused (flag on): A = 4, need ceil(8/3) = 3: passes.
    assert (by["p2"]["yes"], by["p2"]["denominator"], by["p2"]["required"], by["p2"]["passed"]) == (3, 4, 3, True)


def test_NA_7_each_receipt_finds_exactly_its_own_votes() -> None:
    content = published(RECEIPTS)
    for receipt, paper in RECEIPTS.items():
        assert receipt_votes(content, receipt) == paper
    assert receipt_votes(content, "not-a-receipt".ljust(24, "z")) == {}


def test_NA_7_a_row_added_to_the_published_tally_is_found() -> None:
    content = published(RECEIPTS)
    content["ballots"].append({"tag": "f" * 64, "applicant": "p1", "choice": "yes"})  # type: ignore[attr-defined]
    codes = {p.code for p in recount(content)}
    # p1 now has 6 rows for 5 attending, and its counts no longer match.
    assert codes == {"more_ballots_than_voters", "count_mismatch"}


def test_NA_7_the_recount_command_agrees_with_a_true_tally_and_not_with_a_forged_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {"content": published(RECEIPTS), "signature": "", "key_id": ""}
    path = tmp_path / "tally.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    receipt = next(iter(RECEIPTS))
    assert recount_main([str(path), "--receipt", receipt]) == 0
    out = capsys.readouterr().out
    assert "计票复核：一致" in out
    # The holder of r-a's receipt finds p1 yes and p2 yes.
    assert "p1\tyes" in out
    assert "p2\tyes" in out
    document["content"]["applicants"][1]["passed"] = False  # type: ignore[index]
    path.write_text(json.dumps(document), encoding="utf-8")
    assert recount_main([str(path)]) == 1
