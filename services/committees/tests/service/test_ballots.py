"""The secret ballot over HTTP with real PostgreSQL and NATS: the tally on its boundaries (NA-7),
recusal and the denominator (NA-9), the refusals that change nothing, and secrecy: nothing stored,
logged, journaled or sent pairs an expert with a vote, yet each receipt finds its votes."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from zhicheng_committees.ballot.service import SignedTally, meeting_outcome, signed_tally, tally_signature_valid
from zhicheng_committees.result.domain import receipt_votes, recount
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem

from .conftest import Service
from .sitting import Sitting, voting

pytestmark = pytest.mark.service


@pytest.fixture
def prefix(zc_settings: CommonSettings) -> str:
    return zc_settings.events_prefix


async def cast_all(s: Sitting, papers: list[dict[str, str]]) -> list[str]:
    """Expert i casts papers[i]; returns the receipts in the same order."""
    receipts = []
    for expert, paper in zip(s.experts, papers, strict=True):
        response = await s.cast(1, expert, paper)
        assert response.status_code == 201, response.text
        receipts.append(response.json()["receipt"])
    return receipts


def by_applicant(tally: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["applicant"]: row for row in tally["content"]["applicants"]}


async def test_NA_7_nine_attending_six_yes_pass_and_five_fail(svc: Service, nats_js: Any, prefix: str) -> None:
    s = await voting(svc, nats_js, prefix, panel=9)
    p, q = s.applicants
    assert (await s.open_round()).status_code == 201
    # p: 6 yes, 3 no; q: 5 yes, 4 abstain. ⅔ × 9 = 6 exactly ("以上" includes the bound).
    papers = [{p: "yes", q: "yes"}] * 5 + [{p: "yes", q: "abstain"}] + [{p: "no", q: "abstain"}] * 3
    await cast_all(s, papers)
    response = await s.close_round(1)
    assert response.status_code == 200, response.text
    tally = await s.tally(1)
    rows = by_applicant(tally)
    assert (rows[p]["yes"], rows[p]["no"], rows[p]["required"], rows[p]["passed"]) == (6, 3, 6, True)
    assert (rows[q]["yes"], rows[q]["abstain"], rows[q]["required"], rows[q]["passed"]) == (5, 4, 6, False)
    assert (tally["passed"], tally["failed"]) == ([p], [q])
    assert len(tally["content"]["ballots"]) == 18  # 9 papers × 2 applicants
    assert recount(tally["content"]) == []


async def test_NA_7_eleven_attending_eight_yes_pass_and_seven_fail(svc: Service, nats_js: Any, prefix: str) -> None:
    s = await voting(svc, nats_js, prefix, panel=11)
    p, q = s.applicants
    assert (await s.open_round()).status_code == 201
    # ⅔ × 11 = 7⅓ → 8. p: 8 yes 3 no; q: 7 yes, 2 no, 2 left blank (not yes either).
    papers = [{p: "yes", q: "yes"}] * 7 + [{p: "yes", q: "no"}] + [{p: "no", q: "no"}] + [{p: "no"}] * 2
    await cast_all(s, papers)
    assert (await s.close_round(1)).status_code == 200
    rows = by_applicant(await s.tally(1))
    assert (rows[p]["yes"], rows[p]["required"], rows[p]["passed"]) == (8, 8, True)
    assert (rows[q]["yes"], rows[q]["no"], rows[q]["blank"], rows[q]["required"], rows[q]["passed"]) == (
        7,
        2,
        2,
        8,
        False,
    )


async def _eleven_attend_one_recused_seven_yes(svc: Service, nats_js: Any, prefix: str) -> tuple[str, dict[str, Any]]:
    """One applicant, 11 attending, the 11th recused (NA-9), 7 yes and 3 no: the applicant and the round's tally."""
    s = await voting(svc, nats_js, prefix, panel=11, applicants=1)
    [p] = s.applicants
    response = await s.recuse(s.experts[10], p, "近亲属")
    assert response.status_code == 200, response.text
    assert (await s.open_round()).status_code == 201
    for expert in s.experts[:7]:
        assert (await s.cast(1, expert, {p: "yes"})).status_code == 201
    for expert in s.experts[7:10]:
        assert (await s.cast(1, expert, {p: "no"})).status_code == 201
    assert (await s.close_round(1)).status_code == 200
    return p, await s.tally(1)


async def test_NA_9_a_recused_expert_lowers_the_denominator_under_the_shanxi_pack(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    """Shanxi's pack sets recused_expert_reduces_denominator (NA-9); the flag off is in the unit tests."""
    p, tally = await _eleven_attend_one_recused_seven_yes(svc, nats_js, prefix)
    # 11 attending, 1 recused → A = 10, need ceil(20/3) = 7; 7 yes pass (with A = 11 they would need 8).
    row = by_applicant(tally)[p]
    assert (row["recused"], row["denominator"], row["required"], row["blank"], row["passed"]) == (1, 10, 7, 0, True)


async def unchanged_state(svc: Service, s: Sitting) -> tuple[int, int, int]:
    return (
        await svc.count("ballot_participations"),
        await svc.count("ballot_envelopes"),
        len(
            await svc.journal(
                str(await svc.scalar("SELECT id FROM committees.ballot_rounds WHERE meeting_id = :m", m=s.meeting_id))
            )
        ),
    )


async def test_NA_7_a_second_vote_a_proxy_a_recused_or_absent_voter_and_a_late_vote_are_refused(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    s = await voting(svc, nats_js, prefix, panel=9, applicants=2)
    p, q = s.applicants
    recused = s.experts[8]
    assert (await s.recuse(recused, p, "同一单位")).status_code == 200
    assert (await s.open_round()).status_code == 201
    first, second = s.experts[0], s.experts[1]
    assert (await s.cast(1, first, {p: "yes", q: "no"})).status_code == 201
    before = await unchanged_state(svc, s)

    assert_problem(await s.cast(1, first, {p: "no", q: "no"}), 409, "already_voted", "NA-7")
    assert_problem(await s.cast(1, second, {p: "yes"}, voter=s.experts[2]), 409, "proxy_vote", "NA-7")
    assert_problem(await s.cast(1, recused, {p: "yes", q: "yes"}), 409, "recused", "NA-9")
    outsider = svc.keys.headers(roles=["expert"], region="140000", subject="acct-not-drawn")
    response = await svc.client.post(f"{s.url}/rounds/1/ballots", json={"choices": {p: "yes"}}, headers=outsider)
    assert_problem(response, 409, "not_attending", "MT-3")
    assert await unchanged_state(svc, s) == before

    assert (await s.close_round(1)).status_code == 200
    closed = await unchanged_state(svc, s)
    assert_problem(await s.cast(1, second, {p: "yes", q: "yes"}), 409, "round_closed", "NA-7")
    assert await unchanged_state(svc, s) == closed
    row = by_applicant(await s.tally(1))[p]
    assert (row["yes"], row["no"]) == (1, 0)  # only the first vote counted


async def test_MT_3_an_expert_who_signed_in_after_the_round_opened_does_not_vote_in_it(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    from .sitting import sitting

    s = await sitting(svc, nats_js, prefix, panel=9, applicants=1)
    await s.sign_in(*s.experts[:8])
    assert (await s.open()).status_code == 200
    await s.groups_and_opinions()
    assert (await s.open_round()).status_code == 201
    await s.sign_in(s.experts[8])
    assert_problem(await s.cast(1, s.experts[8], {s.applicants[0]: "yes"}), 409, "not_attending", "MT-3")


async def dump(svc: Service) -> list[dict[str, Any]]:
    """Every row of every table of the service's schema, with its physical position and writer (ctid, xmin)."""
    out: list[dict[str, Any]] = []
    async with svc.database.engine.connect() as conn:
        tables = (
            await conn.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'committees'")
            )
        ).scalars()
        for table in list(tables):
            rows = await conn.execute(
                text(f'SELECT ctid::text AS ctid_, xmin::text AS xmin_, t.* FROM committees."{table}" t')
            )
            out += [{"table": table, **dict(r._mapping)} for r in rows]
    return out


async def test_NA_7_nothing_pairs_an_expert_with_a_vote_yet_each_receipt_finds_its_votes(
    svc: Service, nats_js: Any, prefix: str, capfd: pytest.CaptureFixture[str]
) -> None:
    s = await voting(svc, nats_js, prefix, panel=9)
    p, q = s.applicants
    capfd.readouterr()  # the log lines from here on are the vote's
    assert (await s.open_round()).status_code == 201
    # Nine different papers, so that any channel pairing experts with papers would show.
    choices = ["yes", "no", "abstain"]
    papers: list[dict[str, str]] = [{p: choices[i % 3], q: choices[(i // 3) % 3]} for i in range(9)]
    receipts = await cast_all(s, papers)
    assert (await s.close_round(1)).status_code == 200
    tally = await s.tally(1)
    logs = capfd.readouterr()
    log_text = logs.out + logs.err
    round_id = tally["content"]["round_id"]

    # Each expert's receipt finds exactly the votes they cast, and the counts recount.
    for receipt, paper in zip(receipts, papers, strict=True):
        assert receipt_votes(tally["content"], receipt) == paper
    assert recount(tally["content"]) == []

    rows = await dump(svc)
    stored = json.dumps(rows, default=str)
    events = [json.dumps(e) for e in await svc.events(s.meeting_id)]
    async with svc.database.engine.connect() as conn:
        journal = [
            json.dumps(dict(r._mapping), default=str)
            for r in await conn.execute(text("SELECT * FROM committees.journal"))
        ]
        columns = {
            (r.table_name, r.column_name, r.data_type)
            for r in await conn.execute(
                text(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = 'committees' AND table_name LIKE 'ballot%'"
                )
            )
        }
    # 1. No receipt anywhere but in the voters' responses: not stored, logged, journaled or sent.
    for receipt in receipts:
        for channel in (stored, log_text, *journal, *events):
            assert receipt not in channel
    # 2. The ballot tables hold no timestamp and no expert beside a choice.
    assert {c for t, c, _kind in columns if t == "ballots"} == {"tag", "round_id", "declaration_id", "choice"}
    assert {c for t, c, _kind in columns if t == "ballot_participations"} == {"round_id", "expert_id"}
    assert not [c for c in columns if "timestamp" in c[2] and c[0] != "ballot_rounds"]
    # 3. The envelopes are gone, and their key with them (a backup's envelope stays unreadable).
    assert [r for r in rows if r["table"] == "ballot_envelopes" and str(r["round_id"]) == round_id] == []
    assert not svc.app.state.context.ballot_keys.has(uuid.UUID(round_id))
    # 4. Every ballot row was written by the closing transaction, none by a vote's.
    ballot_rows = sorted(
        (r for r in rows if r["table"] == "ballots" and str(r["round_id"]) == round_id),
        key=lambda r: tuple(map(int, r["ctid_"].strip("()").split(","))),
    )
    participations = [r for r in rows if r["table"] == "ballot_participations" and str(r["round_id"]) == round_id]
    assert len(ballot_rows) == 18
    assert len(participations) == 9
    assert len({r["xmin_"] for r in ballot_rows}) == 1
    assert {r["xmin_"] for r in ballot_rows}.isdisjoint({r["xmin_"] for r in participations})
    # 5. Pairing by physical order (k-th participation with the k-th row of each applicant) does not
    # give back the papers (chance that a shuffle keeps both orders: < 1/84 × 1/84).
    order = [
        r["expert_id"] for r in sorted(participations, key=lambda r: tuple(map(int, r["ctid_"].strip("()").split(","))))
    ]
    guessed = {a: [r["choice"] for r in ballot_rows if r["declaration_id"] == a] for a in (p, q)}
    actual = {a: [papers[s.experts.index(e)][a] for e in order] for a in (p, q)}
    assert guessed != actual
    # 6. No journal entry, event or log line carries a choice with an expert: participations name
    # the expert and nothing else; no event at all is about the round's ballots.
    journal = [entry for entry in journal if round_id in entry or s.meeting_id in entry]
    for entry in journal:
        if '"committee.ballot.participated"' in entry:
            assert not any(f'"{c}"' in entry for c in choices)
    assert {json.loads(e)["type"] for e in events} <= {
        "cn.zhicheng.committees.meeting.pre_filed.v1",
        "cn.zhicheng.committees.meeting.opened.v1",
    }
    for line in log_text.splitlines():
        if "committees.ballot" in line:
            assert not any(e in line for e in s.experts)
            assert not any(f"acct-{e}" in line for e in s.experts)
            assert not any(row["tag"] in line for row in ballot_rows)


async def test_NA_7_the_signed_tally_verifies_and_is_what_the_results_read(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    s = await voting(svc, nats_js, prefix, panel=9)
    p, q = s.applicants
    assert (await s.open_round()).status_code == 201
    await cast_all(s, [{p: "yes", q: "no"}] * 9)
    assert (await s.close_round(1)).status_code == 200
    ring = svc.app.state.context.tally_keys.public()
    async with svc.database.unit_of_work() as session:
        tally = await signed_tally(session, uuid.UUID(s.meeting_id))
        outcome = await meeting_outcome(session, uuid.UUID(s.meeting_id))
    assert isinstance(tally, SignedTally)
    assert (tally.passed, tally.failed, tally.round) == ([p], [q], 1)
    assert tally_signature_valid(ring, tally)
    forged = SignedTally(**{**tally.__dict__, "content": {**tally.content, "attending": 10}})
    assert not tally_signature_valid(ring, forged)
    assert (outcome.passed, outcome.failed, outcome.not_voted) == ([p], [q], [])


async def test_MT_3_a_round_whose_key_was_lost_is_voided_not_counted_and_a_new_round_is_held(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    s = await voting(svc, nats_js, prefix, panel=9, applicants=1)
    [p] = s.applicants
    assert (await s.open_round()).status_code == 201
    assert (await s.cast(1, s.experts[0], {p: "yes"})).status_code == 201
    # While the key is here the round is closed, never voided.
    assert_problem(await svc.client.post(f"{s.url}/rounds/1/voiding", headers=s.office()), 409, "round_key_present")
    # The process that held the key restarted: the key is gone.
    round_id = uuid.UUID(
        str(await svc.scalar("SELECT id FROM committees.ballot_rounds WHERE meeting_id = :m", m=s.meeting_id))
    )
    svc.app.state.context.ballot_keys.drop(round_id)
    assert_problem(await s.cast(1, s.experts[1], {p: "yes"}), 409, "round_key_lost")
    assert_problem(await s.close_round(1), 409, "round_key_lost")
    response = await svc.client.post(f"{s.url}/rounds/1/voiding", headers=s.office())
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "void"
    assert await svc.scalar("SELECT count(*) FROM committees.ballot_envelopes WHERE round_id = :r", r=round_id) == 0
    assert (await s.open_round()).status_code == 201  # round 2 of the pack's 2 (MT-3)
    for expert in s.experts:
        assert (await s.cast(2, expert, {p: "yes"})).status_code == 201
    assert (await s.close_round(2)).status_code == 200
    assert by_applicant(await s.tally(2))[p]["yes"] == 9


async def test_NA_7_two_ballots_of_one_expert_sent_at_once_count_once(svc: Service, nats_js: Any, prefix: str) -> None:
    import asyncio

    s = await voting(svc, nats_js, prefix, panel=9, applicants=1)
    [p] = s.applicants
    assert (await s.open_round()).status_code == 201
    first, second = await asyncio.gather(s.cast(1, s.experts[0], {p: "yes"}), s.cast(1, s.experts[0], {p: "no"}))
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    refused = first if first.status_code == 409 else second
    assert_problem(refused, 409, "already_voted", "NA-7")
    round_id = await svc.scalar("SELECT id FROM committees.ballot_rounds WHERE meeting_id = :m", m=s.meeting_id)
    assert await svc.scalar("SELECT count(*) FROM committees.ballot_envelopes WHERE round_id = :r", r=round_id) == 1


async def test_NA_9_a_recused_expert_stays_in_the_denominator_under_a_pack_that_says_so(
    svc: Service, nats_js: Any, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same 11 attending, 1 recused and 7 yes under a pack whose NA-9 flag is off: A = 11, need 8."""
    from zhicheng_committees.meeting import service as meeting_service
    from zhicheng_common.policy import Parameter, load_pack

    shanxi = load_pack("shanxi-2024")
    params = shanxi.parameters.model_copy(
        update={"recused_expert_reduces_denominator": Parameter[bool](value=False, rule="NA-9")}
    )
    flag_off = shanxi.model_copy(update={"parameters": params})
    monkeypatch.setattr(meeting_service, "pack_by_id", lambda pack_id: flag_off)
    p, tally = await _eleven_attend_one_recused_seven_yes(svc, nats_js, prefix)
    row = by_applicant(tally)[p]
    # ceil(2/3 × 11) = 8 > 7 yes; the recused expert is a blank, not a yes.
    assert (row["recused"], row["denominator"], row["required"], row["blank"], row["passed"]) == (1, 11, 8, 1, False)
    assert tally["content"]["recused_reduce_denominator"] is False
    assert recount(tally["content"]) == []
