"""Use cases of experts. No HTTP here and no commit (the unit of work commits).

Every change writes the expert (terms, relationships) and a journal entry in the caller's
transaction; every read of personal data is journaled too (DESIGN.md §6).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.auth import Principal, ensure_covers
from zhicheng_common.journaling import RecordJournal
from zhicheng_common.pii import PiiCipher, mask_identifier
from zhicheng_common.policy import PolicyPack
from zhicheng_common.problems import validation_errors
from zhicheng_common.refusals import Refusal
from zhicheng_common.schemas import fields_of
from zhicheng_common.series import Rank, SeriesCatalog
from zhicheng_experts.deps import Tools
from zhicheng_experts.expert.domain import Term, field_problems, term_problems, title_of
from zhicheng_experts.expert.errors import (
    AccountTaken,
    ExpertExists,
    ExpertNotFound,
    ImportRejected,
    NoExpertRecord,
    UnreadableImport,
    refuse,
)
from zhicheng_experts.expert.files import COLUMNS, FileFormat, UnreadableFile, read_rows, row_to_body, write_table
from zhicheng_experts.expert.models import Expert, ExpertRelationship, ExpertTerm
from zhicheng_experts.expert.repository import ExpertRepository
from zhicheng_experts.expert.schemas import (
    AccountLink,
    ExpertCreate,
    ExpertRead,
    ExpertUpdate,
    ImportReport,
    ImportRowError,
    RelationshipIn,
    RelationshipRead,
    StatusChange,
    TermIn,
    TermRead,
)
from zhicheng_experts.projection.repository import IntegrityBarRepository

EXPERT = "expert"
JOURNAL = RecordJournal(EXPERT)


def _problems(expert_in: ExpertCreate, *, pack: PolicyPack, catalog: SeriesCatalog) -> list[Refusal]:
    terms = [Term(t.starts_on, t.ends_on) for t in expert_in.terms]
    return [
        *field_problems(
            catalog,
            series=expert_in.series,
            specialties=expert_in.specialties,
            rank_held=expert_in.rank_held,
            title_name=expert_in.title_name,
        ),
        *term_problems(terms, pack),
    ]


def _relationship_rows(
    expert_id: uuid.UUID, relationships: Sequence[RelationshipIn], cipher: PiiCipher
) -> list[ExpertRelationship]:
    seen: set[tuple[str, str]] = set()
    rows: list[ExpertRelationship] = []
    for relation in relationships:
        other = relation.other_key or cipher.keyed_hash(relation.other_resident_id or "")
        if (relation.kind, other) in seen:
            continue  # the same person declared twice with the same kind: one row
        seen.add((relation.kind, other))
        rows.append(ExpertRelationship(expert_id=expert_id, kind=relation.kind, other_key=other, note=relation.note))
    return rows


def _term_rows(expert_id: uuid.UUID, terms: Sequence[TermIn]) -> list[ExpertTerm]:
    return [ExpertTerm(expert_id=expert_id, starts_on=t.starts_on, ends_on=t.ends_on) for t in terms]


def _expert_row(
    *,
    actor: Principal,
    expert_in: ExpertCreate,
    cipher: PiiCipher,
    catalog: SeriesCatalog,
    now: datetime,
    disqualifying: uuid.UUID | None,
) -> Expert:
    """One checked expert; an integrity record in force that takes expert status away (NA-13)
    disqualifies them from the start."""
    expert = Expert(
        id=uuid.uuid4(),
        **fields_of(expert_in, "name", "unit_name", "ownership_kind", "series", "region", "phone", "email"),
        resident_id_key=cipher.keyed_hash(expert_in.resident_id),
        resident_id_encrypted=cipher.encrypt(expert_in.resident_id),
        resident_id_masked=mask_identifier(expert_in.resident_id),
        unit_key=cipher.keyed_hash(expert_in.unit_credit_code),
        unit_credit_code_encrypted=cipher.encrypt(expert_in.unit_credit_code),
        unit_credit_code_masked=mask_identifier(expert_in.unit_credit_code),
        specialties=list(expert_in.specialties),
        rank_held=expert_in.rank_held.value,
        title_name=title_of(catalog, expert_in.series, expert_in.rank_held, expert_in.title_name),
        status="active",
        created_by=actor.subject,
        created_at=now,
        updated_at=now,
    )
    if disqualifying is not None:
        expert.status = "disqualified"
        expert.status_reason = f"诚信记录 {disqualifying} 取消专家资格 (NA-13)"
        expert.disqualified_by_record = disqualifying
    return expert


async def _add_experts(
    session: AsyncSession,
    *,
    actor: Principal,
    experts_in: Sequence[ExpertCreate],
    cipher: PiiCipher,
    catalog: SeriesCatalog,
    now: datetime,
) -> list[Expert]:
    """Add checked experts with their terms and relationships, in two flushes whatever their number."""
    keys = [cipher.keyed_hash(e.resident_id) for e in experts_in]
    disqualifying = await IntegrityBarRepository(session).disqualifying_in_force_for(keys)
    rows = [
        _expert_row(
            actor=actor, expert_in=e, cipher=cipher, catalog=catalog, now=now, disqualifying=disqualifying.get(key)
        )
        for e, key in zip(experts_in, keys, strict=True)
    ]
    session.add_all(rows)
    try:
        await session.flush()  # the experts first: terms and relationships refer to them
    except IntegrityError as error:
        # Two entries of one person raced past the check above (an import beside a single entry):
        # the unique index refuses the second, which is the same 409 as the check's.
        if "ix_experts_resident_id_key" in str(error.orig):
            raise ExpertExists(errors=[]) from None
        raise
    for expert, expert_in in zip(rows, experts_in, strict=True):
        session.add_all(_term_rows(expert.id, expert_in.terms))
        session.add_all(_relationship_rows(expert.id, expert_in.relationships, cipher))
    await session.flush()
    return rows


async def read_of(session: AsyncSession, expert: Expert) -> ExpertRead:
    return (await reads_of(session, [expert]))[0]


async def reads_of(session: AsyncSession, experts: Sequence[Expert]) -> list[ExpertRead]:
    repository = ExpertRepository(session)
    ids = [e.id for e in experts]
    terms = await repository.terms_of(ids)
    relationships = await repository.relationships_of(ids)
    out: list[ExpertRead] = []
    for expert in experts:
        base: dict[str, Any] = {
            column: getattr(expert, column)
            for column in ExpertRead.model_fields
            if column not in ("terms", "relationships")
        }
        out.append(
            ExpertRead(
                **base,
                terms=[TermRead.model_validate(t) for t in terms[expert.id]],
                relationships=[RelationshipRead.model_validate(r) for r in relationships[expert.id]],
            )
        )
    return out


async def create_expert(
    session: AsyncSession, *, actor: Principal, expert_in: ExpertCreate, pack: PolicyPack, tools: Tools
) -> Expert:
    """Enter one expert (EX-3 terms, NA-2 series and title); 409 if the person is already in the pool."""
    cipher, catalog, now = tools.cipher, tools.catalog, tools.now
    ensure_covers(actor, expert_in.region)
    problems = _problems(expert_in, pack=pack, catalog=catalog)
    if problems:
        raise refuse(problems)
    if await ExpertRepository(session).existing_keys([cipher.keyed_hash(expert_in.resident_id)]):
        raise ExpertExists(errors=[])
    [expert] = await _add_experts(session, actor=actor, experts_in=[expert_in], cipher=cipher, catalog=catalog, now=now)
    await JOURNAL.change(
        session,
        expert,
        actor,
        "expert.created",
        rule_ids=["EX-3", "NA-2"],
        policy_pack=pack.id,
        data={"series": expert.series, "status": expert.status},
    )
    return expert


async def _locked(session: AsyncSession, actor: Principal, expert_id: uuid.UUID) -> Expert:
    expert = await ExpertRepository(session).get(expert_id, for_update=True)
    if expert is None:
        raise ExpertNotFound()
    ensure_covers(actor, expert.region)
    return expert


async def update_expert(
    session: AsyncSession,
    *,
    actor: Principal,
    expert_id: uuid.UUID,
    expert_in: ExpertUpdate,
    pack: PolicyPack,
    tools: Tools,
) -> Expert:
    """Change an expert's unit, specialties, title, contact, terms or relationships (checked as on entry)."""
    cipher, catalog, now = tools.cipher, tools.catalog, tools.now
    expert = await _locked(session, actor, expert_id)
    repository = ExpertRepository(session)
    changes = expert_in.model_dump(exclude_unset=True)
    specialties = expert_in.specialties if expert_in.specialties is not None else expert.specialties
    rank = expert_in.rank_held if expert_in.rank_held is not None else expert.rank_held
    rank_held = Rank(rank)
    problems = field_problems(
        catalog,
        series=expert.series,
        specialties=specialties,
        rank_held=rank_held,
        title_name=expert_in.title_name if "title_name" in changes else None,
    )
    if expert_in.terms is not None:
        problems += term_problems([Term(t.starts_on, t.ends_on) for t in expert_in.terms], pack)
    if problems:
        raise refuse(problems)
    if expert_in.unit_credit_code is not None:
        expert.unit_key = cipher.keyed_hash(expert_in.unit_credit_code)
        expert.unit_credit_code_encrypted = cipher.encrypt(expert_in.unit_credit_code)
        expert.unit_credit_code_masked = mask_identifier(expert_in.unit_credit_code)
    for name in ("unit_name", "ownership_kind", "phone", "email"):
        if name in changes:
            setattr(expert, name, changes[name])
    expert.specialties = list(specialties)
    if expert_in.rank_held is not None or "title_name" in changes:
        expert.rank_held = rank_held.value
        expert.title_name = title_of(catalog, expert.series, rank_held, expert_in.title_name)
    if expert_in.terms is not None:
        await repository.replace_terms(expert.id, _term_rows(expert.id, expert_in.terms))
    if expert_in.relationships is not None:
        await repository.replace_relationships(
            expert.id, _relationship_rows(expert.id, expert_in.relationships, cipher)
        )
    expert.updated_at = now
    await JOURNAL.change(
        session,
        expert,
        actor,
        "expert.updated",
        rule_ids=["EX-3", "NA-2", "NA-9"],
        policy_pack=pack.id,
        data={"fields": sorted(changes)},
    )
    return expert


async def change_status(
    session: AsyncSession, *, actor: Principal, expert_id: uuid.UUID, change: StatusChange, now: datetime
) -> Expert:
    """Suspend, disqualify or reinstate an expert by hand, with the reason (journaled)."""
    expert = await _locked(session, actor, expert_id)
    previous = expert.status
    expert.status = change.status
    expert.status_reason = change.reason
    if change.status != "disqualified":
        expert.disqualified_by_record = None
    expert.updated_at = now
    await JOURNAL.change(
        session,
        expert,
        actor,
        "expert.status_changed",
        reason=change.reason,
        data={"from": previous, "to": change.status},
    )
    return expert


async def link_account(
    session: AsyncSession, *, actor: Principal, expert_id: uuid.UUID, link: AccountLink, now: datetime
) -> Expert:
    """Link the expert's gateway account (role ``expert``), so the expert signs in as themself."""
    expert = await _locked(session, actor, expert_id)
    holder = await ExpertRepository(session).with_account(link.account_subject)
    if holder is not None and holder.id != expert.id:
        raise AccountTaken()
    expert.account_subject = link.account_subject
    expert.updated_at = now
    await JOURNAL.change(
        session, expert, actor, "expert.account_linked", data={"account_subject": link.account_subject}
    )
    return expert


async def get_expert(session: AsyncSession, *, actor: Principal, expert_id: uuid.UUID) -> Expert:
    expert = await ExpertRepository(session).get(expert_id)
    if expert is None:
        raise ExpertNotFound()
    ensure_covers(actor, expert.region)
    await JOURNAL.change(session, expert, actor, "expert.read")
    return expert


async def own_expert(session: AsyncSession, *, actor: Principal) -> Expert:
    """The expert record linked to the caller's account (role ``expert``)."""
    expert = await ExpertRepository(session).with_account(actor.subject)
    if expert is None:
        raise NoExpertRecord()
    return expert


async def list_experts(
    session: AsyncSession,
    *,
    actor: Principal,
    series: str | None,
    status: str | None,
    specialty: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Expert], int]:
    rows, total = await ExpertRepository(session).page_readable_by(
        actor, series=series, status=status, specialty=specialty, limit=limit, offset=offset
    )
    await JOURNAL.read_all(
        session,
        actor,
        "expert.listed",
        data={"series": series, "status": status, "specialty": specialty, "count": len(rows)},
    )
    return rows, total


# --- Import and export ---------------------------------------------------------------------------


def _row_problems(
    number: int, body: dict[str, Any], *, pack: PolicyPack, catalog: SeriesCatalog
) -> tuple[ExpertCreate | None, list[ImportRowError]]:
    try:
        expert_in = ExpertCreate.model_validate(body)
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
        return None, [ImportRowError(row=number, field=e.field, code=e.code, message=e.message) for e in errors]
    problems = _problems(expert_in, pack=pack, catalog=catalog)
    return expert_in, [ImportRowError(row=number, field=p.fields[0], code=p.code, message=p.message) for p in problems]


async def import_experts(
    session: AsyncSession,
    *,
    actor: Principal,
    data: bytes,
    file_format: FileFormat,
    accept_valid_rows: bool,
    pack: PolicyPack,
    tools: Tools,
) -> ImportReport:
    """Import experts from a file, every row checked as on entry, with a report by row.

    A file with any bad row stores nothing (422 naming every row) unless ``accept_valid_rows``:
    then the good rows are stored and the report lists the rows left out.
    """
    cipher, catalog, now = tools.cipher, tools.catalog, tools.now
    try:
        rows = read_rows(data, file_format)
    except UnreadableFile as exc:
        raise UnreadableImport(str(exc)) from exc
    errors: list[ImportRowError] = []
    valid: list[tuple[int, ExpertCreate]] = []
    first_row_of: dict[str, int] = {}
    for row in rows:
        expert_in, row_errors = _row_problems(row.number, row_to_body(row), pack=pack, catalog=catalog)
        if expert_in is not None and not actor.covers(expert_in.region):
            message = f"行政区划 {expert_in.region} 不在您的管辖范围（{actor.region}）内"
            row_errors.append(
                ImportRowError(row=row.number, field="region", code="outside_jurisdiction", message=message)
            )
        if expert_in is not None:
            key = cipher.keyed_hash(expert_in.resident_id)
            if key in first_row_of:
                message = f"与第{first_row_of[key]}行是同一身份证号码"
                row_errors.append(
                    ImportRowError(row=row.number, field="resident_id", code="duplicate_row", message=message)
                )
            else:
                first_row_of[key] = row.number
        if row_errors:
            errors.extend(row_errors)
        elif expert_in is not None:
            valid.append((row.number, expert_in))
    existing = await ExpertRepository(session).existing_keys(list(first_row_of))
    stored_rows: list[tuple[int, ExpertCreate]] = []
    for number, expert_in in valid:
        if cipher.keyed_hash(expert_in.resident_id) in existing:
            errors.append(
                ImportRowError(
                    row=number, field="resident_id", code="expert_exists", message="该身份证号码的专家已在库中"
                )
            )
        else:
            stored_rows.append((number, expert_in))
    errors.sort(key=lambda e: e.row)
    if errors and not accept_valid_rows:
        rows_named = sorted({e.row for e in errors})
        detail = f"第{'、'.join(map(str, rows_named))}行有错误，未导入任何专家（可选择只导入正确的行）"
        raise ImportRejected(detail, errors=[e.as_field_error() for e in errors])
    added = await _add_experts(
        session, actor=actor, experts_in=[e for _, e in stored_rows], cipher=cipher, catalog=catalog, now=now
    )
    ids = [expert.id for expert in added]
    await JOURNAL.read_all(
        session,
        actor,
        "expert.imported",
        rule_ids=["EX-3", "NA-2"],
        policy_pack=pack.id,
        data={"rows": len(rows), "stored": len(ids), "rows_with_errors": sorted({e.row for e in errors})},
    )
    return ImportReport(rows=len(rows), valid_rows=len(stored_rows), stored=len(ids), errors=errors, expert_ids=ids)


async def export_experts(
    session: AsyncSession, *, actor: Principal, file_format: FileFormat, series: str | None, status: str | None
) -> bytes:
    """The experts the caller may read as a file (identifiers masked), journaled as a read."""
    experts = await ExpertRepository(session).all_readable_by(actor, series=series, status=status, specialty=None)
    reads = await reads_of(session, experts)
    codes = [code for code, _ in COLUMNS]

    def line(read: ExpertRead) -> list[str]:
        term = read.terms[-1] if read.terms else None
        values = {
            "name": read.name,
            "resident_id": read.resident_id_masked,
            "unit_name": read.unit_name,
            "unit_credit_code": read.unit_credit_code_masked,
            "ownership_kind": read.ownership_kind,
            "series": read.series,
            "specialties": ";".join(read.specialties),
            "rank_held": read.rank_held,
            "title_name": read.title_name,
            "region": read.region,
            "phone": read.phone or "",
            "email": read.email or "",
            "term_start": term.starts_on.isoformat() if term else "",
            "term_end": term.ends_on.isoformat() if term else "",
            "relationships": str(len(read.relationships)),
        }
        return [values[code] for code in codes]

    await JOURNAL.read_all(
        session,
        actor,
        "expert.exported",
        data={"format": file_format, "count": len(reads), "series": series, "status": status},
    )
    return write_table((line(read) for read in reads), file_format)
