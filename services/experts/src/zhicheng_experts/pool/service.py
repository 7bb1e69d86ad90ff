"""Use cases of pool filings. No HTTP here and no commit (the unit of work commits)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.auth import Principal, ensure_covers, system_actor
from zhicheng_common.clock import china_today
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import RecordJournal
from zhicheng_common.problems import FieldError
from zhicheng_common.refusals import Refusal
from zhicheng_experts.deps import Tools
from zhicheng_experts.expert.repository import ExpertRepository
from zhicheng_experts.pool import domain
from zhicheng_experts.pool.errors import CommitteeUnknown, FilingNotFound, UnknownMembers, refuse
from zhicheng_experts.pool.models import PoolFiling, PoolMember
from zhicheng_experts.pool.repository import PoolRepository
from zhicheng_experts.pool.schemas import PoolFilingCreate
from zhicheng_experts.projection.domain import enterprise_related
from zhicheng_experts.projection.repository import ProjectionRepository

FILING = "pool_filing"
JOURNAL = RecordJournal(FILING)


async def file_pool(
    session: AsyncSession, *, actor: Principal, filing_in: PoolFilingCreate, tools: Tools
) -> PoolFiling:
    """File or re-file a committee's pool: validity (EX-3), new experts and lead time (EX-4), the
    private-enterprise share (EX-5); a re-filing supersedes the filing in force.

    The numbers come from the pack the committee runs under (``packs`` resolves its id).
    """
    packs, calendar, now = tools.packs, tools.calendar, tools.now
    committee = await ProjectionRepository(session).committee(filing_in.committee_id)
    if committee is None:
        raise CommitteeUnknown(f"评委会 {filing_in.committee_id} 未核准备案或尚未同步到专家库")
    ensure_covers(actor, committee.region)
    pack = packs(committee.policy_pack)
    ids = list(dict.fromkeys(filing_in.expert_ids))
    experts = await ExpertRepository(session).many(ids)
    missing = [i for i in ids if i not in experts]
    if missing:
        raise UnknownMembers(
            errors=[
                FieldError(field=f"expert_ids.{ids.index(i)}", code="expert_not_found", message=f"专家 {i} 不存在")
                for i in missing
            ]
        )
    members = [
        domain.Member(expert_id=e.id, series=e.series, status=e.status, ownership_kind=e.ownership_kind)
        for e in (experts[i] for i in ids)
    ]
    pools = PoolRepository(session)
    previous = await pools.latest(committee.committee_id)
    previous_ids = {m.expert_id for m in await pools.members(previous.id)} if previous is not None else None
    tally = domain.counts(members, previous_ids)
    today = china_today(now)
    plans = await ProjectionRepository(session).plans_of(committee.committee_id)
    planned = [date.fromisoformat(day) for plan in plans for day in plan.meeting_dates]
    evaluation = filing_in.evaluation_date or domain.next_evaluation(planned, on_or_after=today)
    refusals: list[Refusal] = []
    validity = domain.validity_refusal(pack, valid_from=filing_in.valid_from, valid_until=filing_in.valid_until)
    if validity is not None:
        refusals.append(validity)
    refusals += domain.member_refusals(members, committee_series=committee.series)
    if previous is not None:
        refusals += domain.refiling_refusals(pack, calendar, tally=tally, applied_on=today, evaluation_date=evaluation)
    private = domain.private_share_refusal(
        pack, tally=tally, enterprise_related=enterprise_related(committee.kind, committee.scope_ownership_kinds)
    )
    if private is not None:
        refusals.append(private)
    if refusals:
        raise refuse(refusals)
    in_force = await pools.in_force(committee.committee_id, for_update=True)
    if in_force is not None:
        in_force.status = "superseded"
        in_force.ended_at = now
        await pools.flush()  # one filing in force per committee (partial unique index)
    filing = PoolFiling(
        id=uuid7(),  # time-ordered: the committee's latest filing is the greatest id at equal times
        committee_id=committee.committee_id,
        region=committee.region,
        status="filed",
        valid_from=filing_in.valid_from,
        valid_until=filing_in.valid_until,
        applied_on=today,
        evaluation_date=evaluation if previous is not None else None,
        previous_filing_id=previous.id if previous is not None else None,
        member_count=tally.members,
        new_member_count=tally.new_members,
        private_enterprise_count=tally.private_enterprise,
        policy_pack=pack.id,
        created_by=actor.subject,
        created_at=now,
    )
    pools.add(filing)
    await pools.flush()
    before = previous_ids or set()
    session.add_all(
        PoolMember(filing_id=filing.id, expert_id=m.expert_id, is_new=m.expert_id not in before) for m in members
    )
    await JOURNAL.change(
        session,
        filing,
        actor,
        "pool.refiled" if previous is not None else "pool.filed",
        rule_ids=["EX-3", "EX-4", "EX-5"] if previous is not None else ["EX-3", "EX-5"],
        policy_pack=pack.id,
        data={
            "committee_id": str(committee.committee_id),
            "members": tally.members,
            "new_members": tally.new_members,
            "private_enterprise": tally.private_enterprise,
            "superseded": str(in_force.id) if in_force is not None else None,
        },
    )
    return filing


async def get_filing(
    session: AsyncSession, *, actor: Principal, filing_id: uuid.UUID
) -> tuple[PoolFiling, Sequence[PoolMember]]:
    pools = PoolRepository(session)
    filing = await pools.get(filing_id)
    if filing is None:
        raise FilingNotFound()
    ensure_covers(actor, filing.region)
    return filing, await pools.members(filing.id)


async def filings_of(session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID) -> Sequence[PoolFiling]:
    return await PoolRepository(session).of_committee(actor, committee_id)


async def expire_lapsed(session: AsyncSession, *, now: datetime) -> int:
    """Scheduler job: filings past their last day (Beijing) expire by themselves, each journaled (EX-3)."""
    expired = await PoolRepository(session).lapse_due(china_today(now), now)
    for filing in expired:
        await JOURNAL.change(
            session,
            filing,
            system_actor(filing.region),
            "pool.expired",
            rule_ids=["EX-3"],
            policy_pack=filing.policy_pack,
            data={"committee_id": str(filing.committee_id), "valid_until": filing.valid_until.isoformat()},
        )
    return len(expired)
