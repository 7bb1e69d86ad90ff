"""Use cases of a meeting's results: the results publicity and its objections (NA-11, RV-6), the
confirmation by the filing department (NA-11), re-examinations (NA-12), the meeting file (CM-11,
NA-10), the pass rates (MT-5), and the results entry with the meeting file (CM-11)."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees.ballot.service import meeting_outcome
from zhicheng_committees.committee.repository import CommitteeRepository
from zhicheng_committees.committee.service import filing_department_of
from zhicheng_committees.deps import Tools, invalid_payload
from zhicheng_committees.errors import CalendarUnknown
from zhicheng_committees.meeting.domain import MeetingStatus
from zhicheng_committees.meeting.repository import SittingRepository
from zhicheng_committees.meeting.schemas import MeetingRead
from zhicheng_committees.meeting.service import MeetingFacts, meeting_facts, meeting_of, meeting_read, sitting_of
from zhicheng_committees.plan.repository import PlanRepository
from zhicheng_committees.result.domain import (
    ObjectionStatus,
    ReexaminationStatus,
    ResultStatus,
    confirmation_refusal,
    missing_meeting_file_items,
    pass_rate,
    publicity_opening_refusal,
    reexamination_decision_refusal,
    result_objection_refusal,
    results_entry_due,
    results_publicity_open_through,
    title_name,
)
from zhicheng_committees.result.errors import (
    MeetingFileFontUnavailable,
    ObjectionNotFound,
    ReexaminationNotFound,
    ResultsAlreadyConfirmed,
    ResultsNotPublicized,
)
from zhicheng_committees.result.events import PassedApplicant, ResultsConfirmed, ResultsPublicized
from zhicheng_committees.result.meeting_file import MeetingFileContent, TallyPart, render_all
from zhicheng_committees.result.models import (
    ApplicantResult,
    MeetingFileCopy,
    MeetingResult,
    ResultObjection,
    ResultReexamination,
)
from zhicheng_committees.result.repository import ResultRepository
from zhicheng_committees.result.schemas import (
    ApplicantResultRead,
    ConfirmationCreate,
    ObjectionCreate,
    ObjectionRead,
    ObjectionResolution,
    PassRatePage,
    PassRateRead,
    ReexaminationCreate,
    ReexaminationRead,
    ReexaminationUpdate,
    ResultsEntryCreate,
    ResultsRead,
)
from zhicheng_common import publicity
from zhicheng_common.auth import Principal, Role
from zhicheng_common.calendar import UnknownCalendarYear
from zhicheng_common.events.outbox import record_event
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import RecordJournal, journal_read
from zhicheng_common.pdf_font import FontFileError
from zhicheng_common.policy import pack_by_id
from zhicheng_common.problems import Conflict, Forbidden
from zhicheng_common.refusals import Refusal, raise_refused, refused
from zhicheng_common.schemas import from_record

log = structlog.get_logger()
MEETINGS = RecordJournal("plan_meeting")


# --- reading ------------------------------------------------------------------------------------


async def _result_or_404(session: AsyncSession, meeting_id: uuid.UUID, *, for_update: bool = False) -> MeetingResult:
    result = await ResultRepository(session).result(meeting_id, for_update=for_update)
    if result is None:
        raise ResultsNotPublicized(f"评审会议 {meeting_id} 的评审结果尚未公示")
    return result


async def results_read(session: AsyncSession, result: MeetingResult, tools: Tools) -> ResultsRead:
    repo = ResultRepository(session)
    applicants = await repo.applicants(result.meeting_id)
    return from_record(
        ResultsRead,
        result,
        closes_on=publicity.closes_on(result.open_through),
        evaluated_count=len(applicants),
        passed_count=sum(1 for a in applicants if a.passed),
        applicants=[from_record(ApplicantResultRead, a) for a in applicants],
        objections=[
            from_record(
                ObjectionRead,
                o,
                content=tools.cipher.decrypt(o.content_encrypted),
                resolution=tools.cipher.decrypt(o.resolution_encrypted) if o.resolution_encrypted else None,
            )
            for o in await repo.objections(result.meeting_id)
        ],
        reexaminations=[_reexamination_read(r, tools) for r in await repo.reexaminations(result.meeting_id)],
    )


def _reexamination_read(row: ResultReexamination, tools: Tools) -> ReexaminationRead:
    return from_record(
        ReexaminationRead,
        row,
        reason=tools.cipher.decrypt(row.reason_encrypted),
        outcome_text=tools.cipher.decrypt(row.outcome_text_encrypted) if row.outcome_text_encrypted else None,
    )


async def get_results(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, tools: Tools) -> ResultsRead:
    """The results of a meeting as the office and the HR department within their jurisdiction see them."""
    facts = await meeting_facts(session, meeting_id, office=actor)
    result = await _result_or_404(session, meeting_id)
    await journal_read(
        session, actor=actor, action="committee.results.read", record_type="plan_meeting", records=[facts.meeting]
    )
    return await results_read(session, result, tools)


# --- the results publicity (NA-11, RV-6) ---------------------------------------------------------


async def publicize(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, tools: Tools) -> ResultsRead:
    """NA-11: publicize the results of a closed meeting for the pack's working days (NA-14), from today."""
    facts = await meeting_facts(session, meeting_id, office=actor, for_update=True)
    sitting = await sitting_of(session, meeting_id)
    repo = ResultRepository(session)
    if await repo.result(meeting_id) is not None:
        raise Conflict("该会议评审结果已公示", code="results_already_publicized")
    outcome = await meeting_outcome(session, meeting_id)
    decided = [*outcome.passed, *outcome.failed]
    raise_refused(
        publicity_opening_refusal(
            facts.pack, meeting_closed=sitting.status == MeetingStatus.CLOSED, decided=len(decided)
        )
    )
    opened_on = tools.today
    try:
        last_day = results_publicity_open_through(facts.pack, tools.calendar, opened_on)
    except UnknownCalendarYear as exc:
        raise CalendarUnknown(str(exc)) from None
    result = MeetingResult(
        meeting_id=meeting_id,
        status=ResultStatus.PUBLICIZED,
        policy_pack=facts.pack.id,
        opened_on=opened_on,
        open_through=last_day,
        open_through_provisional=tools.calendar.is_provisional_span(opened_on, last_day),
        opened_by=actor.subject,
    )
    repo.add(result)
    await repo.flush()
    sittings = SittingRepository(session)
    for declaration_id in sorted(decided):
        qualified = await sittings.qualified(uuid.UUID(declaration_id))
        assert qualified is not None  # the sitting's applicants are qualified declarations it learnt
        passed = declaration_id in outcome.passed
        repo.add(
            ApplicantResult(
                meeting_id=meeting_id,
                declaration_id=declaration_id,
                committee_id=facts.meeting.committee_id,
                region=facts.meeting.region,
                year=facts.plan.year,
                series=qualified.series,
                level=qualified.level,
                round=outcome.decided_by[declaration_id],
                voted_passed=passed,
                passed=passed,
            )
        )
    await repo.flush()
    rule = facts.pack.parameters.results_publicity_working_days
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.results.publicized",
        rule_ids=sorted({rule.rule, *rule.also, "NA-14"}),
        policy_pack=facts.pack.id,
        data={
            "opened_on": opened_on,
            "open_through": last_day,
            "passed": len(outcome.passed),
            "evaluated": len(decided),
        },
        event=ResultsPublicized(
            meeting_id=meeting_id,
            committee_id=facts.meeting.committee_id,
            region=facts.meeting.region,
            year=facts.plan.year,
            opens_on=opened_on,
            open_through=last_day,
            passed_count=len(outcome.passed),
            evaluated_count=len(decided),
        ),
    )
    log.info("committees.results.publicized", meeting_id=str(meeting_id))
    return await results_read(session, result, tools)


async def record_objection(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, body: ObjectionCreate, tools: Tools
) -> ResultsRead:
    """NA-11, RV-6: an objection raised during the publicity, about a passed applicant, is recorded."""
    facts = await meeting_facts(session, meeting_id, office=actor)
    result = await _result_or_404(session, meeting_id, for_update=True)
    repo = ResultRepository(session)
    applicant = await repo.applicant(meeting_id, body.declaration_id)
    raise_refused(
        result_objection_refusal(
            facts.pack,
            status=ResultStatus(result.status),
            today=tools.today,
            open_through=result.open_through,
            passed=applicant is not None and applicant.passed,
        )
    )
    objection = ResultObjection(
        meeting_id=meeting_id,
        declaration_id=body.declaration_id,
        content_encrypted=tools.cipher.encrypt(body.content),
        filed_on=tools.today,
        recorded_by=actor.subject,
        status=ObjectionStatus.OPEN,
    )
    repo.add(objection)
    await repo.flush()
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.results.objection_recorded",
        rule_ids=["NA-11", "RV-6"],
        data={"objection_id": str(objection.id), "declaration_id": body.declaration_id},
    )
    return await results_read(session, result, tools)


async def resolve_objection(
    session: AsyncSession,
    *,
    actor: Principal,
    meeting_id: uuid.UUID,
    objection_id: uuid.UUID,
    body: ObjectionResolution,
    tools: Tools,
) -> ResultsRead:
    """NA-11, RV-6: the office resolves an objection; an upheld one withholds the applicant's pass."""
    facts = await meeting_facts(session, meeting_id, office=actor)
    result = await _result_or_404(session, meeting_id, for_update=True)
    repo = ResultRepository(session)
    objection = await repo.objection(objection_id, for_update=True)
    if objection is None or objection.meeting_id != meeting_id:
        raise ObjectionNotFound(f"异议 {objection_id} 不存在")
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict("该异议已处理", code="objection_resolved")
    objection.status = ObjectionStatus(body.outcome)
    objection.resolution_encrypted = tools.cipher.encrypt(body.resolution)
    objection.resolved_by, objection.resolved_at = actor.subject, tools.now
    if objection.status is ObjectionStatus.UPHELD:
        applicant = await repo.applicant(meeting_id, objection.declaration_id, for_update=True)
        assert applicant is not None  # objections are recorded about publicized applicants only
        applicant.passed = False
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        f"committee.results.objection_{body.outcome}",
        rule_ids=["NA-11", "RV-6"],
        data={"objection_id": str(objection_id), "declaration_id": objection.declaration_id},
    )
    return await results_read(session, result, tools)


# --- the confirmation (NA-11) --------------------------------------------------------------------


async def confirm(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, body: ConfirmationCreate, tools: Tools
) -> ResultsRead:
    """NA-11: the department that decides the committee's filing confirms the results after the whole
    publicity, every objection resolved. ``committees.results.confirmed`` carries each passed applicant
    once; the same confirmation repeated answers the same and sends nothing new."""
    facts = await meeting_facts(session, meeting_id, office=None, for_update=True)
    filing = await filing_department_of(session, actor=actor, committee_id=facts.meeting.committee_id)
    result = await ResultRepository(session).result(meeting_id, for_update=True)
    if result is None:
        raise refused(Refusal("NA-11", "results_not_publicized", "评审结果须经公示后方可确认"))
    if result.status == ResultStatus.CONFIRMED:
        same = (result.approving_authority, result.document_number, result.title_obtained_on) == (
            body.approving_authority,
            body.document_number,
            body.document_date,
        )
        if not same:
            raise ResultsAlreadyConfirmed(f"评审结果已由 {result.approving_authority} 以 {result.document_number} 确认")
        return await results_read(session, result, tools)
    if not facts.meeting.meeting_date <= body.document_date <= tools.today:
        raise invalid_payload([("document_date", "确认文件日期应在评审会议之后、不晚于今天")])
    repo = ResultRepository(session)
    raise_refused(
        confirmation_refusal(
            facts.pack,
            today=tools.today,
            open_through=result.open_through,
            open_objections=await repo.open_objections(meeting_id),
        )
    )
    result.status = ResultStatus.CONFIRMED
    result.confirmation_id = uuid7()
    result.approving_authority, result.document_number = body.approving_authority, body.document_number
    result.title_obtained_on, result.confirmed_on, result.confirmed_by = body.document_date, tools.today, actor.subject
    applicants = await repo.applicants(meeting_id)
    passed = [a.declaration_id for a in applicants if a.passed]
    not_passed = [a.declaration_id for a in applicants if not a.passed]
    await _confirmed_event(
        session,
        facts=facts,
        result=result,
        committee_name=filing.name,
        confirmation_id=result.confirmation_id,
        reexamination_id=None,
        passed=passed,
        not_passed=not_passed,
    )
    rule = facts.pack.parameters.results_publicity_working_days
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.results.confirmed",
        rule_ids=sorted({rule.rule, *rule.also, "CM-3"}),
        policy_pack=facts.pack.id,
        data={
            "confirmation_id": str(result.confirmation_id),
            "document_number": body.document_number,
            "passed": len(passed),
            "not_passed": len(not_passed),
        },
    )
    await _archive_meeting_file(session, facts=facts, result=result, committee_name=filing.name, tools=tools)
    log.info("committees.results.confirmed", meeting_id=str(meeting_id), passed=len(passed))
    return await results_read(session, result, tools)


async def _confirmed_event(
    session: AsyncSession,
    *,
    facts: MeetingFacts,
    result: MeetingResult,
    committee_name: str,
    confirmation_id: uuid.UUID,
    reexamination_id: uuid.UUID | None,
    passed: Sequence[str],
    not_passed: Sequence[str],
) -> None:
    """``committees.results.confirmed``: per passed applicant (each once) what a certificate needs."""
    sittings = SittingRepository(session)
    entries: list[PassedApplicant] = []
    for declaration_id in sorted(set(passed)):
        q = await sittings.qualified(uuid.UUID(declaration_id))
        assert q is not None  # results are kept only for the sitting's qualified applicants
        entries.append(
            from_record(PassedApplicant, q, title_name=title_name(q.series, level=q.level, rank=q.rank) or "")
        )
    assert result.approving_authority is not None
    assert result.document_number is not None
    assert result.confirmed_on is not None
    assert result.title_obtained_on is not None
    await record_event(
        session,
        ResultsConfirmed(
            confirmation_id=confirmation_id,
            meeting_id=facts.meeting.id,
            committee_id=facts.meeting.committee_id,
            committee_name=committee_name,
            plan_id=facts.plan.id,
            year=facts.plan.year,
            region=facts.meeting.region,
            policy_pack=facts.pack.id,
            approving_authority=result.approving_authority,
            document_number=result.document_number,
            confirmed_on=result.confirmed_on,
            title_obtained_on=result.title_obtained_on,
            reexamination_id=reexamination_id,
            passed=entries,
            not_passed=[uuid.UUID(d) for d in sorted(set(not_passed))],
        ),
        subject=str(facts.meeting.id),
        region=facts.meeting.region,
    )


# --- re-examination (NA-12) ----------------------------------------------------------------------


async def request_reexamination(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, body: ReexaminationCreate, tools: Tools
) -> ReexaminationRead:
    """NA-12: an applicant's request for re-examination of a confirmed result is recorded."""
    facts = await meeting_facts(session, meeting_id, office=actor)
    result = await _result_or_404(session, meeting_id)
    if result.status != ResultStatus.CONFIRMED:
        raise refused(Refusal("NA-12", "results_not_confirmed", "评审结果确认后方可申请复查"))
    repo = ResultRepository(session)
    if await repo.applicant(meeting_id, body.declaration_id) is None:
        raise invalid_payload([("declaration_id", "该申报人不在本次会议的评审结果中")])
    row = ResultReexamination(
        meeting_id=meeting_id,
        declaration_id=body.declaration_id,
        reason_encrypted=tools.cipher.encrypt(body.reason),
        requested_on=tools.today,
        recorded_by=actor.subject,
        status=ReexaminationStatus.REQUESTED,
    )
    repo.add(row)
    await repo.flush()
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.results.reexamination_requested",
        rule_ids=["NA-12"],
        data={"reexamination_id": str(row.id), "declaration_id": body.declaration_id},
    )
    return _reexamination_read(row, tools)


async def update_reexamination(
    session: AsyncSession,
    *,
    actor: Principal,
    meeting_id: uuid.UUID,
    reexamination_id: uuid.UUID,
    body: ReexaminationUpdate,
    tools: Tools,
) -> ReexaminationRead:
    """NA-12: a re-examination is handled (a handler named), then decided by the department that
    confirmed the results; a changed result sends a new ``results.confirmed`` for that applicant."""
    facts = await meeting_facts(session, meeting_id, office=None)
    repo = ResultRepository(session)
    row = await repo.reexamination(reexamination_id, for_update=True)
    if row is None or row.meeting_id != meeting_id:
        raise ReexaminationNotFound(f"复查申请 {reexamination_id} 不存在")
    if row.status == ReexaminationStatus.DECIDED:
        raise Conflict("该复查申请已作出结论", code="reexamination_decided")
    if body.outcome is None:
        if body.handler is None:
            raise invalid_payload([("handler", "请指定承办人或给出复查结论")])
        await meeting_facts(session, meeting_id, office=actor)
        row.handler, row.status = body.handler, ReexaminationStatus.HANDLING
        action, rules = "committee.results.reexamination_handling", ["NA-12"]
    else:
        filing = await filing_department_of(session, actor=actor, committee_id=facts.meeting.committee_id)
        result = await _result_or_404(session, meeting_id, for_update=True)
        applicant = await repo.applicant(meeting_id, row.declaration_id, for_update=True)
        assert applicant is not None  # checked when the request was recorded
        raise_refused(
            reexamination_decision_refusal(outcome=body.outcome, passed=body.passed, current=applicant.passed)
        )
        row.status, row.outcome, row.decided_by, row.decided_on = (
            ReexaminationStatus.DECIDED,
            body.outcome,
            actor.subject,
            tools.today,
        )
        row.passed = applicant.passed if body.outcome == "upheld" else body.passed
        row.outcome_text_encrypted = tools.cipher.encrypt(body.outcome_text) if body.outcome_text else None
        if body.outcome == "changed":
            assert body.passed is not None  # reexamination_decision_refusal requires it
            applicant.passed = body.passed
            row.confirmation_id = uuid7()
            await _confirmed_event(
                session,
                facts=facts,
                result=result,
                committee_name=filing.name,
                confirmation_id=row.confirmation_id,
                reexamination_id=row.id,
                passed=[row.declaration_id] if body.passed else [],
                not_passed=[] if body.passed else [row.declaration_id],
            )
        action, rules = f"committee.results.reexamination_{body.outcome}", ["NA-12", "NA-11"]
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        action,
        rule_ids=rules,
        data={"reexamination_id": str(row.id), "declaration_id": row.declaration_id, "passed": row.passed},
    )
    return _reexamination_read(row, tools)


# --- the meeting file (CM-11, NA-10) -------------------------------------------------------------


def _audience(actor: Principal) -> str:
    """The office's copy holds the expert draw list; HR and auditors get the file without it."""
    return "office" if actor.has_role(Role.COMMITTEE_OFFICE) else "shared"


async def meeting_file(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, fmt: str, tools: Tools
) -> bytes:
    """The meeting file as PDF or xlsx. NA-10: confidential until the results are publicized (only the
    committee's office reads it before); the archived copy once confirmed."""
    facts = await meeting_facts(session, meeting_id, office=actor)
    repo = ResultRepository(session)
    result = await repo.result(meeting_id)
    if result is None and not actor.has_role(Role.COMMITTEE_OFFICE):
        raise refused(
            Refusal("NA-10", "meeting_file_confidential", "评审结果公布前，会议档案仅评委会办公室可查阅"),
            error=Forbidden,
        )
    audience = _audience(actor)
    copy = await repo.file_copy(meeting_id, audience, fmt)
    await journal_read(
        session, actor=actor, action="committee.meeting_file.read", record_type="plan_meeting", records=[facts.meeting]
    )
    if copy is not None:
        return copy.content
    committee = await CommitteeRepository(session).get(facts.meeting.committee_id)
    assert committee is not None
    name = (await _filing_name(session, facts)) or str(committee.id)
    content = await _file_content(
        session, facts=facts, result=result, committee_name=name, audience=audience, tools=tools
    )
    (data,) = await _render([(content, fmt)], tools)
    return data


async def _filing_name(session: AsyncSession, facts: MeetingFacts) -> str | None:
    repo = CommitteeRepository(session)
    committee = await repo.get(facts.meeting.committee_id)
    if committee is None or committee.current_filing_id is None:
        return None
    filing = await repo.get_filing(committee.current_filing_id)
    return filing.name if filing is not None else None


async def _render(files: Sequence[tuple[MeetingFileContent, str]], tools: Tools) -> list[bytes]:
    """The files rendered in a worker process that exits when done.

    reportlab, openpyxl and the CJK font's tables (parsed by reportlab into Python objects) take
    about 50 MB; rendered in the service, they stayed in its resident set for the rest of its life
    after the first meeting was confirmed. A process of its own (``spawn``: no copy of the
    service's memory or its event loop) costs a start of about a second, once per confirmation or
    unarchived read, and gives the memory back to the system when it exits.
    """
    try:
        return await asyncio.to_thread(_render_in_worker, files, tools.font_file)
    except FontFileError as error:
        raise MeetingFileFontUnavailable(f"会议档案{error}") from error


def _render_in_worker(files: Sequence[tuple[MeetingFileContent, str]], font_file: Path) -> list[bytes]:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as worker:
        return worker.submit(render_all, files, font_file).result()


async def _archive_meeting_file(
    session: AsyncSession, *, facts: MeetingFacts, result: MeetingResult, committee_name: str, tools: Tools
) -> None:
    """CM-11: the meeting file is kept with the meeting as it stood when the results were confirmed."""
    repo = ResultRepository(session)
    files: list[tuple[str, MeetingFileContent, str]] = []
    for audience in ("office", "shared"):
        content = await _file_content(
            session, facts=facts, result=result, committee_name=committee_name, audience=audience, tools=tools
        )
        files += [(audience, content, fmt) for fmt in ("pdf", "xlsx")]
    rendered = await _render([(content, fmt) for _, content, fmt in files], tools)
    for (audience, _, fmt), data in zip(files, rendered, strict=True):
        repo.add(
            MeetingFileCopy(
                meeting_id=facts.meeting.id,
                audience=audience,
                format=fmt,
                content=data,
                sha256=hashlib.sha256(data).hexdigest(),
                made_at=tools.now,
            )
        )
    await repo.flush()


async def _file_content(
    session: AsyncSession,
    *,
    facts: MeetingFacts,
    result: MeetingResult | None,
    committee_name: str,
    audience: str,
    tools: Tools,
) -> MeetingFileContent:
    meeting = facts.meeting
    sittings = SittingRepository(session)
    sitting = await sitting_of(session, meeting.id)
    panel = await sittings.panel(meeting.id)
    outcome = await meeting_outcome(session, meeting.id)
    results = {a.declaration_id: a for a in await ResultRepository(session).applicants(meeting.id)} if result else {}
    names: dict[str, str] = {}
    titles: dict[str, str] = {}
    for declaration_id in sitting.applicants:
        q = await sittings.qualified(uuid.UUID(declaration_id))
        if q is None:
            continue
        if q.applicant_name_sealed:
            names[declaration_id] = tools.cipher.decrypt(q.applicant_name_sealed)
        titles[declaration_id] = title_name(q.series, level=q.level, rank=q.rank) or q.level
    passed = sorted(d for d, a in results.items() if a.passed) if result else outcome.passed
    signed_in = await ResultRepository(session).attendance_sheet(meeting.id)
    return MeetingFileContent(
        committee_name=committee_name,
        meeting_id=str(meeting.id),
        meeting_date=meeting.meeting_date,
        venue="远程评审" if sitting.remote else (sitting.venue or ""),
        policy_pack=facts.pack.id,
        post_meeting_filed_on=meeting.post_meeting_filed_on,
        post_meeting_filing_due=meeting.post_meeting_filing_due,
        publicity_opened_on=result.opened_on if result else None,
        publicity_open_through=result.open_through if result else None,
        objections=[(o.declaration_id, o.status) for o in await ResultRepository(session).objections(meeting.id)],
        draw_id=str(panel.draw_id) if panel else None,
        draw_list=[(str(m["expert_id"]), str(m["specialty"])) for m in panel.members]
        if panel and audience == "office"
        else None,
        sign_in=[(e, at.astimezone(tools.now.tzinfo).isoformat()) for e, at in signed_in],
        opinions=[
            (o.declaration_id, o.expert_id, o.score, tools.cipher.decrypt(o.text_encrypted))
            for o in await sittings.opinions(meeting.id)
        ],
        tallies=[
            TallyPart(round=t.round, key_id=t.key_id, signature=t.signature, counts=t.content["applicants"])
            for t in outcome.tallies
        ],
        names=names,
        passed=[(d, titles.get(d, "")) for d in passed],
        confirmation=(result.approving_authority or "", result.document_number or "", result.confirmed_on)
        if result is not None and result.confirmed_on is not None
        else None,
    )


# --- pass rates (MT-5) ---------------------------------------------------------------------------


async def pass_rates(
    session: AsyncSession,
    *,
    actor: Principal,
    year: int | None,
    committee_id: uuid.UUID | None,
    series: str | None,
    level: str | None,
) -> PassRatePage:
    """MT-5: pass rates of confirmed results per committee, series, level and year, in the caller's
    jurisdiction; re-examinations that changed a result are counted as they stand."""
    rows = await ResultRepository(session).pass_counts(
        actor, year=year, committee_id=committee_id, series=series, level=level
    )
    items = [
        PassRateRead(
            year=r.year,
            committee_id=r.committee_id,
            series=r.series,
            level=r.level,
            evaluated=int(r.evaluated),
            passed=int(r.passed or 0),
            rate_percent=pass_rate(int(r.passed or 0), int(r.evaluated)),
        )
        for r in rows
    ]
    return PassRatePage(items=items, total=len(items))


# --- the results entry (CM-11) -------------------------------------------------------------------


async def enter_results(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, entry_in: ResultsEntryCreate, tools: Tools
) -> MeetingRead:
    """Record the entry of a meeting's results with the full meeting file; a late entry is flagged (CM-11)."""
    plans = PlanRepository(session)
    meeting = await meeting_of(session, meeting_id, office=actor, for_update=True)
    if not meeting.meeting_date <= entry_in.appointment_document_date <= tools.today:
        raise invalid_payload([("appointment_document_date", "聘任文件日期应在评审会议之后、不晚于今天")])
    # CM-11 is counted on the day the entry reaches the platform (the server's date).
    entered_on = tools.today
    if meeting.results_entered_on is not None:
        raise Conflict("该会议评审结果已录入", code="results_already_entered")
    plan = await plans.get(meeting.plan_id)
    assert plan is not None
    pack = pack_by_id(plan.policy_pack)
    missing = missing_meeting_file_items(entry_in.meeting_file)
    if missing:
        rule = pack.parameters.results_entry_working_days.rule
        raise refused(
            [
                Refusal(
                    rule,
                    "meeting_file_incomplete",
                    f"会议档案缺少：{'、'.join(m.value for m in missing)}",
                    ("meeting_file",),
                )
            ]
        )
    try:
        due = results_entry_due(pack, tools.calendar, entry_in.appointment_document_date)
    except UnknownCalendarYear as exc:
        raise CalendarUnknown(str(exc)) from None
    meeting.appointment_document_date = entry_in.appointment_document_date
    meeting.results_entered_on = entered_on
    meeting.results_entered_by = actor.subject
    meeting.results_entry_due = due
    meeting.results_entry_due_provisional = tools.calendar.is_provisional_span(entry_in.appointment_document_date, due)
    meeting.meeting_file = [item.value for item in entry_in.meeting_file]
    await MEETINGS.change(
        session,
        meeting,
        actor,
        "committee.meeting.results_entered",
        rule_ids=[pack.parameters.results_entry_working_days.rule],
        policy_pack=pack.id,
        data={"entered_on": entered_on, "due": due, "late": entered_on > due},
    )
    return meeting_read(meeting)
