"""Use cases of intake: drafts, submission through the eligibility engine, corrections, queries,
attachments and the projections kept from other services' events. Never commits."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.audit import entry_values
from zhicheng_common.auth import SYSTEM, Principal, Role, ensure_role
from zhicheng_common.clock import china_today
from zhicheng_common.events.outbox import record_event
from zhicheng_common.journaling import RecordJournal, RecordRef
from zhicheng_common.pii import PiiCipher, mask_identifier
from zhicheng_common.policy import PolicyPack, pack_for, resolve_pack
from zhicheng_common.problems import FieldError, Forbidden, NotFound, ProblemError
from zhicheng_common.reference import code_name, load_reference_catalog, rank_name, specialty_code
from zhicheng_common.refusals import Refusal, raise_refused, refused
from zhicheng_common.schemas import from_record
from zhicheng_common.series import level_of, load_series_catalog
from zhicheng_common.validators import birth_date_from_resident_id
from zhicheng_intake import domain
from zhicheng_intake.errors import (
    AttachmentTooLarge,
    AttachmentUnavailable,
    IdempotencyKeyReused,
    InvalidDeclaration,
    NotEligible,
    UnknownAttachmentKind,
    WrongState,
)
from zhicheng_intake.events import (
    DeclarationAbandoned,
    DeclarationResubmitted,
    DeclarationSubmitted,
    DeclarationWithdrawn,
)
from zhicheng_intake.models import Attachment, Declaration, StatusChange
from zhicheng_intake.reference import qualification_table
from zhicheng_intake.repository import CLERK_ROLES, DeclarationRepository, ProjectionRepository, bound_to
from zhicheng_intake.schemas import (
    AttachmentRead,
    CommitteeWindowRead,
    CorrectionItem,
    Da1Record,
    DeclarationCreate,
    DeclarationPage,
    DeclarationRead,
    DeclarationSummary,
    EligibilityReport,
    StatusHistory,
    WindowRead,
)
from zhicheng_intake.schemas import StatusChange as StatusChangeRead
from zhicheng_intake.storage import AttachmentStore, checked_media_type

log = structlog.get_logger()

RECORD = "declaration"
# Roles that see identifiers in full (they verify them); everyone else gets them masked.
FULL_ID_ROLES = (Role.HR_REVIEWER, Role.HR_ADMIN, Role.PROVINCE_ADMIN)
DECLARING_ROLES = (Role.APPLICANT, Role.UNIT_REVIEWER)
# NA-5: proofs that can be checked against other departments' data are not uploaded again.

JOURNAL = RecordJournal(RECORD)


@dataclass(frozen=True)
class IntakeDeps:
    """The service's context, built once in ``create_app()``: the PII cipher, attachment storage, limits."""

    cipher: PiiCipher
    storage: AttachmentStore
    attachment_max_bytes: int
    media_types: tuple[str, ...]


def _status_name(status: str) -> str:
    """``returned`` → 退回补正: a message shows the catalog's name of a declaration status, never its code."""
    return code_name("declaration_statuses", status)


def _wrong_state(row: Declaration, act: str) -> WrongState:
    """409 ``wrong_state``: the declaration's status does not allow ``act`` (e.g. 提交)."""
    return WrongState(f"申报状态为{_status_name(row.status)}，不能{act}")


def _request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _validate(declaration_in: DeclarationCreate, today: date) -> None:
    """Refuse what no rule needs to judge: future dates, unknown series, an ID that contradicts itself."""
    errors: list[FieldError] = []
    for path in domain.future_dates(declaration_in, today):
        errors.append(FieldError(field=path, code="future_date", message=f"日期不能晚于今天（{today.isoformat()}）"))
    applicant = declaration_in.applicant
    if birth_date_from_resident_id(applicant.id_number) != applicant.birth_date:
        errors.append(
            FieldError(field="applicant.birth_date", code="birth_date_mismatch", message="出生日期与身份证号码不一致")
        )
    catalog = load_series_catalog()
    target = declaration_in.target
    series = catalog.get(target.series)
    if series is None:
        errors.append(
            FieldError(
                field="target.series",
                code="unknown_series",
                message=f"职称系列 {target.series} 不在系列目录中（见 /api/v1/reference/series）",
                facts={"valid": catalog.codes()},
            )
        )
    elif series.specialties and series.specialty_code(target.specialty) is None:
        errors.append(
            FieldError(
                field="target.specialty",
                code="unknown_specialty",
                message=f"{series.name}系列没有所填专业，可选：{'、'.join(series.specialties.values())}",
                facts={"valid": list(series.specialties)},
            )
        )
    if series is not None and series.title(target.rank) is None:
        errors.append(
            FieldError(
                field="target.rank",
                code="unknown_rank",
                message=f"{series.name}系列没有{rank_name(target.rank)}职称",
                facts={"valid": [rank.value for rank in series.titles]},
            )
        )
    title = declaration_in.current_title
    title_series = catalog.get(title.series) if title is not None else None
    if title is not None and title_series is None:
        errors.append(
            FieldError(field="current_title.series", code="unknown_series", message="现职称系列不在系列目录中")
        )
    elif title is not None and title_series is not None and title.title_name:
        # The catalog keeps historical names (e.g. 教授级高级工程师 → 正高级工程师), so old certificates map.
        named = title_series.rank_of_title(title.title_name)
        if named != title.rank:
            errors.append(
                FieldError(
                    field="current_title.title_name",
                    code="unknown_title" if named is None else "title_rank_mismatch",
                    message=f"职称名称“{title.title_name}”与{title_series.name}系列的{rank_name(title.rank)}职称不符",
                )
            )
    if errors:
        raise InvalidDeclaration("申报内容有误：" + "、".join(e.field or "" for e in errors), errors=errors)


def _stored_content(declaration_in: DeclarationCreate) -> dict[str, Any]:
    content = declaration_in.model_dump(mode="json")
    content["applicant"]["id_number"] = mask_identifier(declaration_in.applicant.id_number)
    return content


def _apply(row: Declaration, declaration_in: DeclarationCreate, cipher: PiiCipher) -> None:
    applicant = declaration_in.applicant
    row.applicant_key = cipher.keyed_hash(applicant.id_number)
    row.applicant_id_enc = cipher.encrypt(applicant.id_number)
    row.applicant_name = applicant.name
    row.unit_key = cipher.keyed_hash(applicant.employer.credit_code)
    row.employer_name = applicant.employer.name
    row.region = applicant.employer.region
    row.year = declaration_in.target.year
    row.series = declaration_in.target.series
    row.specialty = declaration_in.target.specialty
    row.level = level_of(declaration_in.target.rank)
    row.rank = declaration_in.target.rank.value
    row.committee_id = declaration_in.target.committee_id
    row.kind = declaration_in.kind
    row.channel = declaration_in.channel.kind
    # The pack of the declaration's own jurisdiction and year (none covering them: 422 no_policy_pack).
    row.policy_pack = resolve_pack(row.region, row.year).id
    row.content = _stored_content(declaration_in)


def _declared(row: Declaration, cipher: PiiCipher) -> DeclarationCreate:
    content = json.loads(json.dumps(row.content))
    content["applicant"]["id_number"] = cipher.decrypt(row.applicant_id_enc)
    return DeclarationCreate.model_validate(content)


def to_read(row: Declaration, *, principal: Principal, cipher: PiiCipher) -> DeclarationRead:
    full = row.owner_subject == principal.subject or principal.has_role(*FULL_ID_ROLES)
    identifier = cipher.decrypt(row.applicant_id_enc)
    return from_record(
        DeclarationRead,
        row,
        applicant_id_number=identifier if full else mask_identifier(identifier),
        specialty=specialty_code(row.series, row.specialty),
        correction_items=[CorrectionItem(**item) for item in row.correction_items or []],
    )


async def _move(
    session: AsyncSession,
    row: Declaration,
    status: str,
    *,
    actor: Principal,
    now: datetime,
    reason: str | None = None,
    rule_ids: list[str] | None = None,
    also: dict[str, Any] | None = None,
) -> None:
    """Move the declaration to ``status`` (with ``also``, more of its columns), with history and journal."""
    if not domain.can_move(row.status, status):
        raise WrongState(f"申报状态为{_status_name(row.status)}，不能变为{_status_name(status)}")
    # The entry JOURNAL.change would write, in the statement of the move (one round trip).
    entry = entry_values(
        session,
        actor=actor,
        action=f"declaration.{status}",
        record_type=RECORD,
        record_id=str(row.id),
        record_region=row.region,
        reason=reason,
        rule_ids=rule_ids or [],
        policy_pack=(also or {}).get("policy_pack", row.policy_pack),
        data={"from": row.status, "to": status},
    )
    await DeclarationRepository(session).move(
        row,
        StatusChange(id=uuid.uuid4(), declaration_id=row.id, status=status, at=now, actor=actor.subject, reason=reason),
        also=also,
        entry=entry,
    )


async def _owned(session: AsyncSession, declaration_id: uuid.UUID, actor: Principal) -> Declaration:
    row = await DeclarationRepository(session).get(declaration_id, for_update=True)
    return _owner_checked(row, declaration_id, actor)


def _owner_checked(row: Declaration | None, declaration_id: uuid.UUID, actor: Principal) -> Declaration:
    """The declaration if it exists and ``actor`` filed it (404, 403 ``not_owner``)."""
    if row is None:
        raise NotFound(f"申报 {declaration_id} 不存在")
    if row.owner_subject != actor.subject:
        raise Forbidden("只有填报人本人可以修改、提交或撤回申报", code="not_owner")
    return row


async def create_draft(
    session: AsyncSession,
    *,
    actor: Principal,
    declaration_in: DeclarationCreate,
    idempotency_key: str | None,
    deps: IntakeDeps,
    now: datetime,
) -> tuple[DeclarationRead, bool]:
    """Save a new draft; the same ``Idempotency-Key`` answers the same draft (created = False)."""
    ensure_role(actor, *DECLARING_ROLES)
    repo = DeclarationRepository(session)
    body_hash = _request_hash(declaration_in.model_dump(mode="json"))
    if idempotency_key:
        known = await repo.idempotent(actor=actor.subject, operation="create", key=idempotency_key)
        if known is not None:
            if known.request_hash != body_hash:
                raise IdempotencyKeyReused("同一幂等键不能用于内容不同的请求")
            existing = await repo.get(known.declaration_id)
            assert existing is not None
            return to_read(existing, principal=actor, cipher=deps.cipher), False
    _validate(declaration_in, china_today(now))
    row = Declaration(
        id=uuid.uuid4(),
        status="draft",
        owner_subject=actor.subject,
        correction_items=[],
        corrected_fields=[],
        created_at=now,
        updated_at=now,
    )
    _apply(row, declaration_in, deps.cipher)
    await repo.add_declaration(row)
    if idempotency_key and not await repo.claim_idempotency(
        actor=actor.subject, operation="create", key=idempotency_key, request_hash=body_hash, declaration_id=row.id
    ):
        raise IdempotencyKeyReused("同一幂等键的请求正在处理，请稍后重试")
    await repo.add_status(
        StatusChange(id=uuid.uuid4(), declaration_id=row.id, status="draft", at=now, actor=actor.subject)
    )
    await JOURNAL.change(session, row, actor, "declaration.drafted", policy_pack=row.policy_pack)
    return to_read(row, principal=actor, cipher=deps.cipher), True


async def update(
    session: AsyncSession,
    *,
    actor: Principal,
    declaration_id: uuid.UUID,
    declaration_in: DeclarationCreate,
    deps: IntakeDeps,
    now: datetime,
) -> DeclarationRead:
    """Replace a draft; a returned declaration may change only the fields its return listed (RV-3)."""
    row = await _owned(session, declaration_id, actor)
    today = china_today(now)
    if row.status not in ("draft", "returned"):
        raise _wrong_state(row, "修改")
    _validate(declaration_in, today)
    if row.status == "returned":
        raise_refused(domain.correction_deadline_refusal(row.correction_deadline, today))
        before = _declared(row, deps.cipher).model_dump(mode="json")
        changed = domain.changed_paths(before, declaration_in.model_dump(mode="json"))
        listed = [item["field"] for item in row.correction_items]
        raise_refused(domain.correction_scope_refusal(changed, listed))
        row.corrected_fields = sorted(
            {f for f in listed for p in changed if p == f or p.startswith(f + ".")} | set(row.corrected_fields)
        )
    _apply(row, declaration_in, deps.cipher)
    row.updated_at = now
    await JOURNAL.change(session, row, actor, "declaration.edited", policy_pack=row.policy_pack)
    return to_read(row, principal=actor, cipher=deps.cipher)


async def eligibility_context(
    session: AsyncSession, *, row: Declaration, declared: DeclarationCreate, today: date
) -> domain.EligibilityContext:
    """What the engine reads from intake's projections (no call to another service), in one query."""
    return await ProjectionRepository(session).eligibility_context(
        committee_id=declared.target.committee_id,
        applicant_key=row.applicant_key,
        year=declared.target.year,
        excluding=row.id,
        today=today,
    )


def eligibility(declared: DeclarationCreate, *, pack: PolicyPack, context: domain.EligibilityContext) -> list[Refusal]:
    """Run the engine over the declaration and its context."""
    return domain.check_eligibility(
        declared, pack=pack, catalog=load_series_catalog(), table=qualification_table(), context=context
    )


def refusal(failures: list[Refusal]) -> ProblemError:
    """Every failed rule at once (``not_eligible``); ``rule`` only when a single rule refused."""
    rules = sorted({f.rule or "" for f in failures})
    return refused(
        failures,
        error=NotEligible,
        code=NotEligible.code,
        rule=rules[0] if len(rules) == 1 else None,
        detail=f"申报不符合{len(failures)}项规定：" + "；".join(f"{f.rule} {f.message}" for f in failures),
    )


async def submit(
    session: AsyncSession,
    *,
    actor: Principal,
    declaration_id: uuid.UUID,
    idempotency_key: str | None,
    deps: IntakeDeps,
    now: datetime,
) -> DeclarationRead:
    """Run every eligibility rule; accept (event ``intake.declaration.submitted``) or refuse with all failures."""
    repo = DeclarationRepository(session)
    if idempotency_key:
        known = await repo.idempotent(actor=actor.subject, operation="submit", key=idempotency_key)
        if known is not None:
            if known.declaration_id != declaration_id:
                raise IdempotencyKeyReused("同一幂等键已用于提交另一申报")
            existing = await repo.get(declaration_id)
            assert existing is not None
            return to_read(existing, principal=actor, cipher=deps.cipher)
    # EL-11: one person's submissions of a year go one at a time, so two at the same moment
    # cannot both see "no other application": the row's statement takes the (applicant, year)
    # lock, which ends with this transaction.
    row = _owner_checked(await repo.owned_for_submit(declaration_id), declaration_id, actor)
    if row.status != "draft":
        raise _wrong_state(row, "提交")
    declared = _declared(row, deps.cipher)
    context = await eligibility_context(session, row=row, declared=declared, today=china_today(now))
    pack = pack_for(row)
    failures = eligibility(declared, pack=pack, context=context)
    if failures:
        log.info("intake.declaration.refused", declaration_id=str(row.id), rules=[f.rule for f in failures])
        raise refusal(failures)
    # Outbox row and idempotency key first, the journal entry last: the journal's chain lock is then
    # held only until the commit that follows it.
    await record_event(
        session,
        from_record(
            DeclarationSubmitted,
            row,
            declaration_id=str(row.id),
            applicant_name_sealed=deps.cipher.encrypt(row.applicant_name),
            specialty=declared.target.specialty,  # the code, also for a draft stored with a name
            committee_id=str(row.committee_id),
            policy_pack=pack.id,
            holder_sealed=deps.cipher.encrypt(
                json.dumps(
                    {
                        "name": row.applicant_name,
                        "gender": declared.applicant.gender,
                        "resident_id": declared.applicant.id_number,
                    },
                    ensure_ascii=False,
                )
            ),
            education_sealed=deps.cipher.encrypt(
                json.dumps(
                    {"level": declared.applicant.education.level, "major": declared.applicant.education.major},
                    ensure_ascii=False,
                )
            ),
        ),
        subject=str(row.id),
        region=row.region,
    )
    if idempotency_key and not await repo.claim_idempotency(
        actor=actor.subject, operation="submit", key=idempotency_key, request_hash="", declaration_id=row.id
    ):
        raise IdempotencyKeyReused("同一幂等键的请求正在处理，请稍后重试")
    await _move(
        session,
        row,
        "submitted",
        actor=actor,
        now=now,
        reason="资格条件校验通过",
        rule_ids=list(domain.CHECKED_RULES),
        also={"policy_pack": pack.id, "submitted_at": now},
    )
    return to_read(row, principal=actor, cipher=deps.cipher)


async def dry_run(
    session: AsyncSession, *, actor: Principal, declaration_id: uuid.UUID, deps: IntakeDeps, now: datetime
) -> EligibilityReport:
    """Run every eligibility rule on a declaration as it stands; nothing changes (预检)."""
    row = await _readable(session, actor, declaration_id)
    declared = _declared(row, deps.cipher)
    context = await eligibility_context(session, row=row, declared=declared, today=china_today(now))
    pack = pack_for(row)
    failures = eligibility(declared, pack=pack, context=context)
    return EligibilityReport(
        eligible=not failures, policy_pack=pack.id, failures=refusal(failures).errors if failures else []
    )


async def resubmit(
    session: AsyncSession, *, actor: Principal, declaration_id: uuid.UUID, deps: IntakeDeps, now: datetime
) -> DeclarationRead:
    """Resubmit a corrected declaration before its deadline (RV-3)."""
    row = await _owned(session, declaration_id, actor)
    if row.status != "returned":
        raise _wrong_state(row, "重新提交")
    raise_refused(domain.correction_deadline_refusal(row.correction_deadline, china_today(now)))
    await record_event(
        session,
        DeclarationResubmitted(declaration_id=str(row.id), corrected_fields=list(row.corrected_fields)),
        subject=str(row.id),
        region=row.region,
    )
    await _move(session, row, "resubmitted", actor=actor, now=now, reason="补正后重新提交", rule_ids=["RV-3"])
    return to_read(row, principal=actor, cipher=deps.cipher)


async def withdraw(
    session: AsyncSession, *, actor: Principal, declaration_id: uuid.UUID, reason: str, deps: IntakeDeps, now: datetime
) -> DeclarationRead:
    """The applicant withdraws before review decides."""
    row = await _owned(session, declaration_id, actor)
    if not domain.can_move(row.status, "withdrawn"):
        raise _wrong_state(row, "撤回")
    # EL-11: only a withdrawal before the first review decision may free the year.
    row.withdrawn_before_review = row.status in domain.BEFORE_REVIEW_STATUSES
    if row.status != "draft":
        await record_event(
            session, DeclarationWithdrawn(declaration_id=str(row.id)), subject=str(row.id), region=row.region
        )
    await _move(session, row, "withdrawn", actor=actor, now=now, reason=reason)
    return to_read(row, principal=actor, cipher=deps.cipher)


async def read(
    session: AsyncSession, *, actor: Principal, declaration_id: uuid.UUID, deps: IntakeDeps
) -> DeclarationRead:
    """One declaration the caller may read; the read is journaled (personal data)."""
    row = await _readable(session, actor, declaration_id)
    await JOURNAL.read(session, [row], actor, "declaration.read", reason="查看申报")
    return to_read(row, principal=actor, cipher=deps.cipher)


async def _readable(session: AsyncSession, actor: Principal, declaration_id: uuid.UUID) -> Declaration:
    row = await DeclarationRepository(session).get(declaration_id)
    if row is None:
        raise NotFound(f"申报 {declaration_id} 不存在")
    if row.owner_subject != actor.subject and row.status == "draft":
        # A draft is the applicant's until submitted: to anyone else it does not exist yet.
        raise NotFound(f"申报 {declaration_id} 不存在")
    if row.owner_subject != actor.subject:
        if not actor.has_role(*CLERK_ROLES):
            raise Forbidden("只能查看本人的申报", code="not_owner")
        if not actor.covers(row.region):
            raise Forbidden(
                f"记录所属地区 {row.region} 不在您的管辖范围（{actor.region}）内", code="outside_jurisdiction"
            )
        if not bound_to(actor, row):
            raise Forbidden("该申报不属于您账号绑定的单位或评审委员会", code="outside_binding")
    return row


async def history(session: AsyncSession, *, actor: Principal, declaration_id: uuid.UUID) -> StatusHistory:
    """The status history of a declaration the caller may read."""
    row = await _readable(session, actor, declaration_id)
    changes = await DeclarationRepository(session).history(row.id)
    return StatusHistory(
        items=[StatusChangeRead(status=c.status, at=c.at, actor=c.actor, reason=c.reason) for c in changes]
    )


async def page(
    session: AsyncSession,
    *,
    actor: Principal,
    year: int | None,
    committee_id: uuid.UUID | None,
    status: str | None,
    unit_credit_code: str | None,
    mine: bool,
    offset: int,
    limit: int,
    deps: IntakeDeps,
) -> DeclarationPage:
    """Declarations the caller may read: own ones, a unit's, or a clerk's jurisdiction, filtered."""
    unit_key = deps.cipher.keyed_hash(unit_credit_code) if unit_credit_code else None
    rows, total = await DeclarationRepository(session).page(
        actor,
        year=year,
        committee_id=committee_id,
        status=status,
        unit_key=unit_key,
        mine=mine,
        offset=offset,
        limit=limit,
    )
    if rows:
        await JOURNAL.change(
            session,
            RecordRef("list", actor.region),  # the jurisdiction listed
            actor,
            "declaration.listed",
            reason="查询申报列表",
            data={"declarations": [str(r.id) for r in rows]},
        )
    return DeclarationPage(
        items=[from_record(DeclarationSummary, r) for r in rows], total=total, offset=offset, limit=limit
    )


async def export_da1(
    session: AsyncSession,
    *,
    actor: Principal,
    year: int | None,
    committee_id: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    limit: int = 500,
) -> tuple[list[Da1Record], uuid.UUID | None]:
    """DA-1, one page: name, gender, education, major, specialty practiced, field, title, certificate number.

    Returns the page and the cursor of the next one (``None`` on the last page).
    """
    ensure_role(actor, Role.HR_REVIEWER, Role.HR_ADMIN, Role.PROVINCE_ADMIN, Role.AUDITOR)
    catalog = load_series_catalog()
    # One row more than the page tells whether another page follows.
    rows = list(
        await DeclarationRepository(session).export_page(
            actor, year=year, committee_id=committee_id, after=after, limit=limit + 1
        )
    )
    next_after = rows[limit - 1].id if len(rows) > limit else None
    rows = rows[:limit]
    records = []
    for r in rows:
        c = r.content
        title = c.get("current_title")
        series = catalog.get(r.series)
        current_series = catalog.get(title["series"]) if title else None
        records.append(
            Da1Record(
                declaration_id=r.id,
                name=r.applicant_name,
                gender=c["applicant"]["gender"],
                highest_education=c["applicant"]["education"]["level"],
                major=c["applicant"]["education"]["major"],
                practiced_specialty=c["applicant"]["practiced_specialty"],
                field=series.name if series else r.series,
                current_title=(current_series.titles.get(title["rank"]) if current_series else None) if title else None,
                certificate_number=title["certificate_number"] if title else None,
                declared_title=(series.titles.get(r.rank) or r.rank) if series else r.rank,  # type: ignore[call-overload]
                year=r.year,
                region=r.region,
            )
        )
    await JOURNAL.change(
        session,
        RecordRef(f"da1:{year}", actor.region),  # the jurisdiction exported
        actor,
        "declaration.exported",
        rule_ids=["DA-1"],
        data={"declaration_ids": [str(r.declaration_id) for r in records], "after": str(after) if after else None},
    )
    return records, next_after


async def add_attachment(
    session: AsyncSession,
    *,
    actor: Principal,
    declaration_id: uuid.UUID,
    name: str,
    kind: str,
    media_type: str,
    data: bytes,
    deps: IntakeDeps,
    now: datetime,
) -> AttachmentRead:
    """Store an attachment of a draft or returned declaration (size limit; NA-5 proofs refused)."""
    row = await _owned(session, declaration_id, actor)
    if row.status not in ("draft", "returned"):
        raise _wrong_state(row, "上传附件")
    not_asked_again = pack_for(row).parameters.not_asked_again_fields
    kinds = load_reference_catalog().attachment_kinds
    if kind not in kinds:
        raise UnknownAttachmentKind(
            f"附件类别不在参考数据中，可选：{'、'.join(kinds.values())}",
            errors=[
                FieldError(
                    field="kind", code="unknown_attachment_kind", message="附件类别不存在", facts={"valid": list(kinds)}
                )
            ],
        )
    if len(data) > deps.attachment_max_bytes:
        raise AttachmentTooLarge(
            f"附件 {len(data)} 字节，超过上限 {deps.attachment_max_bytes} 字节",
            errors=[FieldError(field="body", code="too_large", message=f"上限 {deps.attachment_max_bytes} 字节")],
        )
    raise_refused(domain.attachment_refusal(kind, not_asked_again.value, not_asked_again.rule))
    media_type = checked_media_type(media_type, data, deps.media_types)
    attachment_id = uuid.uuid4()
    key = f"{row.id}/{attachment_id}"
    await deps.storage.put(session, key, data)
    attachment = Attachment(
        id=attachment_id,
        declaration_id=row.id,
        name=name,
        kind=kind,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        created_at=now,
    )
    await DeclarationRepository(session).add_attachment(attachment)
    await JOURNAL.change(session, row, actor, "declaration.attachment_added", data={"attachment": str(attachment_id)})
    return AttachmentRead.model_validate(attachment, from_attributes=True)


async def attachments(session: AsyncSession, *, actor: Principal, declaration_id: uuid.UUID) -> list[AttachmentRead]:
    row = await _readable(session, actor, declaration_id)
    return [
        AttachmentRead.model_validate(a, from_attributes=True)
        for a in await DeclarationRepository(session).attachments(row.id)
    ]


async def attachment_content(
    session: AsyncSession, *, actor: Principal, declaration_id: uuid.UUID, attachment_id: uuid.UUID, deps: IntakeDeps
) -> tuple[Attachment, bytes]:
    """The bytes of an attachment, for its owner and the clerks and reviewers of its region (RV-1).

    The digest recorded at upload is checked on every read, so a file changed or damaged in the
    storage is never served as the applicant's material. A read by anyone but the owner is journaled.
    """
    row = await _readable(session, actor, declaration_id)
    attachment = await DeclarationRepository(session).attachment(row.id, attachment_id)
    if attachment is None:
        raise NotFound(f"附件 {attachment_id} 不存在", code="attachment_not_found")
    try:
        data = await deps.storage.get(session, attachment.storage_key)
    except FileNotFoundError:
        log.error("intake.attachment_missing", attachment_id=str(attachment.id), key=attachment.storage_key)
        raise AttachmentUnavailable(f"附件 {attachment.name} 的文件缺失，请联系运维人员") from None
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        log.error("intake.attachment_digest_mismatch", attachment_id=str(attachment.id), key=attachment.storage_key)
        raise AttachmentUnavailable(f"附件 {attachment.name} 的文件与上传时的摘要不符，已拒绝提供")
    if row.owner_subject != actor.subject:
        await JOURNAL.change(
            session, row, actor, "declaration.attachment_read", data={"attachment": str(attachment.id)}
        )
    return attachment, data


async def windows(session: AsyncSession) -> list[CommitteeWindowRead]:
    """Approved committees with their scope and declaration windows (intake's projection)."""
    projections = ProjectionRepository(session)
    committees = await projections.committees()
    plans = await projections.windows([c.committee_id for c in committees])
    return [
        from_record(
            CommitteeWindowRead,
            c,
            windows=[from_record(WindowRead, p) for p in plans if p.committee_id == c.committee_id],
        )
        for c in committees
    ]


# --- effects of other services' events ---------------------------------------------------------


async def apply_committee(session: AsyncSession, *, data: dict[str, Any]) -> None:
    """committees.committee.approved / refiled: the filed scope (a refiling replaces it)."""
    await ProjectionRepository(session).upsert_committee(
        {
            "committee_id": uuid.UUID(str(data["committee_id"])),
            "name": str(data["name"]),
            "series": str(data["series"]),
            "specialties": list(data.get("specialties") or []),
            "levels": list(data["levels"]),
            "scope_regions": list(data["scope_regions"]),
            "scope_ownership_kinds": list(data.get("scope_ownership_kinds") or []),
            "policy_pack": str(data["policy_pack"]),
            "valid_from": date.fromisoformat(str(data["valid_from"])),
            "valid_until": date.fromisoformat(str(data["valid_until"])),
            "status": str(data.get("status") or "active"),  # CM-10: approved while suspended
        }
    )


async def set_committee_status(session: AsyncSession, *, committee_id: str, status: str) -> None:
    await ProjectionRepository(session).set_committee_status(uuid.UUID(committee_id), status)


async def apply_plan(session: AsyncSession, *, data: dict[str, Any]) -> None:
    """committees.plan.published / changed: the declaration window."""
    await ProjectionRepository(session).upsert_plan(
        {
            "plan_id": uuid.UUID(str(data["plan_id"])),
            "committee_id": uuid.UUID(str(data["committee_id"])),
            "year": int(data["year"]),
            "series": str(data["series"]),
            "levels": list(data["levels"]),
            "declaration_opens": date.fromisoformat(str(data["declaration_opens"])),
            "declaration_closes": date.fromisoformat(str(data["declaration_closes"])),
            "policy_pack": str(data["policy_pack"]),
        }
    )


async def apply_integrity_decided(session: AsyncSession, *, data: dict[str, Any]) -> None:
    """integrity.record.decided: a person's record that bars declaring becomes an EL-20 bar."""
    effects = data.get("effects") or {}
    projections = ProjectionRepository(session)
    if data.get("supersedes"):  # after an appeal the new record replaces the old one
        await projections.end_bar(uuid.UUID(str(data["supersedes"])))
    if data.get("subject_kind") != "person" or not effects.get("bar_declaring"):
        return
    await projections.upsert_bar(
        {
            "record_id": uuid.UUID(str(data["record_id"])),
            "subject_key": str(data["subject_key"]),
            "kind": str(data.get("kind") or ""),
            "valid_from": date.fromisoformat(str(data["valid_from"])) if data.get("valid_from") else None,
            "valid_until": date.fromisoformat(str(data["valid_until"])) if data.get("valid_until") else None,
            "active": True,
        }
    )


async def end_integrity_bar(session: AsyncSession, *, record_id: str) -> None:
    await ProjectionRepository(session).end_bar(uuid.UUID(record_id))


async def apply_review(
    session: AsyncSession, *, declaration_id: str, status: str, data: dict[str, Any], now: datetime
) -> bool:
    """review.declaration.returned / qualified / disqualified: the declaration's new status."""
    row = await DeclarationRepository(session).get(uuid.UUID(declaration_id), for_update=True)
    if row is None:
        return False
    if not domain.can_move(row.status, status):
        log.warning("intake.review_event_ignored", declaration_id=declaration_id, status=row.status, to=status)
        return True
    reason = data.get("reason")
    rule_ids = list(data.get("rule_ids") or [])
    if status == "returned":
        row.correction_items = [
            {"field": str(i["field"]), "message": str(i["message"])} for i in data.get("items") or []
        ]
        row.correction_deadline = date.fromisoformat(str(data["deadline"]))
        row.correction_deadline_provisional = bool(data.get("deadline_provisional", False))
        row.corrected_fields = []
        reason = "退回补正：" + "；".join(f"{i['field']}：{i['message']}" for i in row.correction_items)
        rule_ids = ["RV-3"]
    await _move(session, row, status, actor=SYSTEM, now=now, reason=reason, rule_ids=rule_ids)
    return True


async def apply_deadline_changed(session: AsyncSession, *, data: dict[str, Any], now: datetime) -> bool:
    """review.declaration.deadline_changed: a returned declaration's correction deadline was recomputed.

    Review counts the deadline (RV-3) and recomputes it when a year's holiday arrangement is
    loaded; intake keeps the copy it enforces in step. Returns False for an unknown declaration.
    """
    row = await DeclarationRepository(session).get(uuid.UUID(str(data["declaration_id"])), for_update=True)
    if row is None:
        return False
    if data.get("deadline_kind") != "correction" or row.status != "returned":
        return True  # a review step's due day, or no longer waiting for a correction: nothing held here
    due = date.fromisoformat(str(data["due"]))
    provisional = bool(data["provisional"])
    if (row.correction_deadline, row.correction_deadline_provisional) == (due, provisional):
        return True
    previous = row.correction_deadline
    row.correction_deadline, row.correction_deadline_provisional = due, provisional
    row.updated_at = now
    await JOURNAL.change(
        session,
        row,
        SYSTEM,
        "declaration.correction_deadline_changed",
        reason="审核服务载入节假日安排后重新计算补正期限",
        rule_ids=["RV-3", "NA-14"],
        policy_pack=row.policy_pack,
        data={
            "previous": previous.isoformat() if previous else None,
            "due": due.isoformat(),
            "provisional": provisional,
            "calendar_years": list(data.get("calendar_years") or []),
        },
    )
    return True


async def abandon_overdue(session: AsyncSession, now: datetime) -> int:
    """RV-3: returned declarations not corrected by their deadline become abandoned."""
    rows = await DeclarationRepository(session).returned_past_deadline(china_today(now))
    for row in rows:
        await record_event(
            session, DeclarationAbandoned(declaration_id=str(row.id)), subject=str(row.id), region=row.region
        )
        await _move(
            session, row, "abandoned", actor=SYSTEM, now=now, reason="补正期限已过，视为放弃", rule_ids=["RV-3"]
        )
    return len(rows)
