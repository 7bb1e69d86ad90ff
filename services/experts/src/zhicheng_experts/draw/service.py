"""Use cases of the draw: ask (freeze, exclude, commit), draw (seed, derive), sign, replace, read.

Each step is stored and journaled in the request's transaction, with its event in the outbox; a
refusal (409) is journaled in a transaction of its own (:func:`journal_refusal`) since the
request's is rolled back. No HTTP here, no commit: the unit of work commits.

Logs and journal entries name meetings, draws and counts, never an expert: who sits on a panel is
read only by the committee office, HR supervisors and auditors (NA-2).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.auth import Principal, Role, ensure_covers, public_key_id
from zhicheng_common.db import Database
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import Change, RecordJournal, RecordRef
from zhicheng_common.policy import pack_by_id
from zhicheng_common.problems import FieldError
from zhicheng_common.refusals import Refusal
from zhicheng_common.schemas import fields_of, from_record
from zhicheng_experts.deps import Tools
from zhicheng_experts.draw import domain
from zhicheng_experts.draw.domain import (
    ALGORITHM,
    SECRET_BYTES,
    DrawParameters,
    DrawRequest,
    DrawStatus,
    Lot,
    PanelState,
    Quota,
    Replacement,
)
from zhicheng_experts.draw.errors import (
    DrawNotFound,
    DrawRefused,
    MeetingNotOpen,
    NotCommitteeOffice,
    PanelNotReadable,
    SignatureInvalid,
)
from zhicheng_experts.draw.events import PanelAlternate, PanelDrawn, PanelMemberReplaced, PanelSeat
from zhicheng_experts.draw.evidence import (
    STORED_IN_PACK,
    SignerRole,
    assemble_pack,
    draw_result,
    prepare_draw,
    signed_bytes,
)
from zhicheng_experts.draw.models import Draw, DrawNotification, DrawReplacement, DrawSignature
from zhicheng_experts.draw.notifier import Notification, Notifier, NotifierError
from zhicheng_experts.draw.repository import DrawRepository, PoolSnapshotSource
from zhicheng_experts.draw.schemas import (
    CommitmentRead,
    DrawCreate,
    DrawPage,
    DrawRead,
    LotRead,
    ReplacementCreate,
    ReplacementRead,
    SeedIn,
    SignatureCreate,
    SignatureRead,
    SigningPayload,
)

log = structlog.get_logger()

RECORD_TYPE = "draw"
DRAWS = RecordJournal(RECORD_TYPE)


# --- who may do what -----------------------------------------------------------------------------


def _is_office_of(actor: Principal, committee_id: uuid.UUID, region: str) -> bool:
    return actor.has_role(Role.COMMITTEE_OFFICE) and committee_id in actor.committee_ids() and actor.covers(region)


def _ensure_office(actor: Principal, committee_id: uuid.UUID, region: str) -> None:
    """403 ``outside_jurisdiction`` for a meeting of a region the caller does not cover (whatever the
    committees its token names), then ``not_committee_office`` for anyone but the committee's office."""
    ensure_covers(actor, region)
    if not _is_office_of(actor, committee_id, region):
        raise NotCommitteeOffice(f"您不是评审委员会 {committee_id} 的办公室，不能办理其专家抽取")


def _ensure_supervisor(actor: Principal, region: str) -> None:
    if not (actor.has_role(Role.SUPERVISOR) and actor.covers(region)):
        raise PanelNotReadable("外部随机种子须由本地区的监督人员录入", code="supervisor_required")


def _ensure_reader(actor: Principal, draw: Draw) -> None:
    """NA-2: the committee's office, and supervisors and auditors of the region; nobody else."""
    if _is_office_of(actor, draw.committee_id, draw.region):
        return
    if actor.has_role(Role.SUPERVISOR, Role.AUDITOR) and actor.covers(draw.region):
        return
    raise PanelNotReadable("评审会议的抽取结果仅评委会办公室、人社监督人员和审计人员可以查看")


def signer_role(actor: Principal, draw: Draw) -> SignerRole:
    """A supervisor of the region signs as ``supervisor``; the committee's office as ``drawer`` (EX-1)."""
    if actor.has_role(Role.SUPERVISOR) and actor.covers(draw.region):
        return "supervisor"
    _ensure_office(actor, draw.committee_id, draw.region)
    return "drawer"


# --- refusals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """What a refusal's journal entry is about: the draw (or the meeting when none exists yet)."""

    meeting_id: uuid.UUID
    region: str
    pack: str
    draw_id: uuid.UUID | None = None

    @classmethod
    def of(cls, draw: Draw) -> _Scope:
        return cls(draw.meeting_id, draw.region, draw.policy_pack, draw.id)


def _refused(refusals: Sequence[Refusal], scope: _Scope) -> DrawRefused:
    first = refusals[0]
    rules = sorted({r.rule for r in refusals if r.rule})
    errors = [
        FieldError(field=r.fields[0] if r.fields else None, code=r.code, message=r.message, rule=r.rule)
        for r in refusals
    ]
    return DrawRefused(
        "；".join(r.message for r in refusals),
        code=first.code,
        rule=first.rule,
        errors=errors,
        journal={
            "record_id": str(scope.draw_id or scope.meeting_id),
            "record_region": scope.region,
            "policy_pack": scope.pack,
            "rule_ids": rules,
            "reason": first.message,
            "data": {"codes": [r.code for r in refusals], "meeting_id": str(scope.meeting_id)},
        },
    )


async def journal_refusal(database: Database, *, actor: Principal, error: DrawRefused) -> None:
    """Keep a refused draw request in the journal (its own transaction: the request's rolls back)."""
    async with database.unit_of_work() as session:
        record = RecordRef(error.journal["record_id"], error.journal["record_region"])
        await DRAWS.change(
            session,
            record,
            actor,
            "draw.refused",
            reason=error.journal["reason"],
            rule_ids=error.journal["rule_ids"],
            policy_pack=error.journal["policy_pack"],
            data={**error.journal["data"], "code": error.code},
        )
    log.info("experts.draw.refused", code=error.code, rule=error.rule, record_id=error.journal["record_id"])


async def _get(
    repo: DrawRepository, draw_id: uuid.UUID, *, for_update: bool = False, snapshot: bool = False, audit: bool = False
) -> Draw:
    draw = await repo.get(draw_id, for_update=for_update, snapshot=snapshot, audit=audit)
    if draw is None:
        raise DrawNotFound(f"抽取记录 {draw_id} 不存在")
    return draw


def _params(draw: Draw) -> DrawParameters:
    return DrawParameters.from_pack(pack_by_id(draw.policy_pack))


async def _journal(session: AsyncSession, draw: Draw, actor: Principal, action: str, **note: Unpack[Change]) -> None:
    """Journal a step of ``draw`` under its pack, with its event (if any), which is about the meeting."""
    note["policy_pack"], note["subject"] = draw.policy_pack, str(draw.meeting_id)
    await DRAWS.change(session, draw, actor, action, **note)


# --- step 1-3: ask for a draw --------------------------------------------------------------------


async def request_draw(
    session: AsyncSession,
    *,
    actor: Principal,
    committee_id: uuid.UUID,
    meeting_id: uuid.UUID,
    draw_in: DrawCreate,
    tools: Tools,
) -> DrawRead:
    """Freeze the pool, exclude with reasons, commit to a secret: the draw waits for the supervisor's seed."""
    repo = DrawRepository(session)
    await repo.lock_meeting(meeting_id)
    snapshot = await tools.source.eligible_pool_snapshot(session, committee_id, meeting_id, frozen_on=tools.today)
    if snapshot is None:
        raise MeetingNotOpen(f"评委会 {committee_id} 没有可抽取专家的评审会议 {meeting_id}（须先完成会前备案）")
    _ensure_office(actor, committee_id, snapshot.region)
    pack = pack_by_id(snapshot.policy_pack)
    params = DrawParameters.from_pack(pack)
    request = DrawRequest(
        size=draw_in.size, quotas=tuple(Quota(q.specialty, q.members, q.alternates) for q in draw_in.quotas)
    )
    where = _Scope(meeting_id, snapshot.region, pack.id)
    refusals = domain.request_refusals(
        pack, tools.calendar, meeting=snapshot.meeting, request=request, draw_date=tools.today
    )
    if refusals:
        raise _refused(refusals, where)
    previous = await repo.of_meeting(meeting_id)
    redraw = domain.new_draw_refusal([DrawStatus(d.status) for d in previous], draw_in.reason)
    if redraw is not None:
        raise _refused([redraw], where)
    prepared = prepare_draw(
        meeting=snapshot.meeting,
        request=request,
        filing=snapshot.filing,
        experts=snapshot.experts,
        applicants=snapshot.applicants,
        frozen_on=tools.today,
        params=params,
    )
    short = domain.pool_too_small(prepared.candidates, request.quotas)
    if short is not None:
        raise _refused([short], where)

    secret = secrets.token_bytes(SECRET_BYTES)
    draw = Draw(
        id=uuid7(),
        meeting_id=meeting_id,
        committee_id=committee_id,
        region=snapshot.region,
        policy_pack=pack.id,
        status=DrawStatus.COMMITTED.value,
        request=prepared.snapshot["request"],
        reason=(draw_in.reason or "").strip() or None,
        requested_by=actor.subject,
        requested_at=tools.now,
        frozen_on=tools.today,
        meeting_date=snapshot.meeting.date,
        eligible_count=len(prepared.candidates),
        excluded_count=len(prepared.eligibility.excluded),
        snapshot=prepared.snapshot,
        snapshot_sha256=prepared.snapshot_sha256,
        audit=prepared.audit,
        audit_sha256=prepared.audit_sha256,
        commitment=domain.commitment_of(secret),
        secret_token=tools.cipher.encrypt(secret.hex()),
    )
    voided = [uuid.UUID(i) for i in domain.draws_voided_by((str(d.id), DrawStatus(d.status)) for d in previous)]
    await repo.void(voided, by=draw.id)
    for old in voided:
        await DRAWS.change(
            session,
            RecordRef(old, snapshot.region),
            actor,
            "draw.voided",
            reason=draw.reason,
            rule_ids=["EX-1"],
            policy_pack=pack.id,
            data={"voided_by": str(draw.id), "meeting_id": str(meeting_id)},
        )
    repo.add(draw)
    await repo.flush()
    excluded = prepared.eligibility.excluded
    await _journal(
        session,
        draw,
        actor,
        "draw.committed",
        reason=draw.reason,
        rule_ids=sorted({"NA-1", "EX-2", *(r.rule for e in excluded for r in e.reasons)}),
        data={
            "meeting_id": str(meeting_id),
            "committee_id": str(committee_id),
            "snapshot_sha256": draw.snapshot_sha256,
            "audit_sha256": draw.audit_sha256,
            "commitment": draw.commitment,
            "eligible": len(prepared.candidates),
            "excluded": len(excluded),
            "redraw_of": [str(v) for v in voided],
        },
    )
    log.info(
        "experts.draw.committed", draw_id=str(draw.id), meeting_id=str(meeting_id), eligible=len(prepared.candidates)
    )
    return await _read(repo, draw, params)


# --- step 3-4: the seed, the derivation ----------------------------------------------------------


async def enter_seed(
    session: AsyncSession, *, actor: Principal, draw_id: uuid.UUID, seed_in: SeedIn, tools: Tools
) -> DrawRead:
    """The supervisor's external seed; the secret is revealed and the panel derived (zc-draw-v1)."""
    repo = DrawRepository(session)
    draw = await _get(repo, draw_id, for_update=True, snapshot=True)
    _ensure_supervisor(actor, draw.region)
    where = _Scope.of(draw)
    state = domain.reveal_refusal(DrawStatus(draw.status))
    if state is not None:
        raise _refused([state], where)
    bad_seed = domain.seed_refusal(seed_in.external_seed)
    if bad_seed is not None:
        raise _refused([bad_seed], where)
    pack = pack_by_id(draw.policy_pack)
    late = domain.draw_date_refusal(pack, tools.calendar, draw_date=tools.today, meeting_date=draw.meeting_date)
    if late is not None:
        raise _refused([late], where)
    secret = bytes.fromhex(tools.cipher.decrypt(draw.secret_token))
    draw.result = draw_result(
        snapshot=draw.snapshot,
        snapshot_sha256=draw.snapshot_sha256,
        audit_sha256=draw.audit_sha256,
        commitment=draw.commitment,
        secret=secret,
        external_seed=seed_in.external_seed,
    )
    draw.external_seed = seed_in.external_seed
    draw.status = DrawStatus.DRAWN.value
    draw.drawn_by = actor.subject
    draw.drawn_at = tools.now
    await repo.flush()
    await _journal(
        session,
        draw,
        actor,
        "draw.drawn",
        rule_ids=["EX-1"],
        data={
            "meeting_id": str(draw.meeting_id),
            "external_seed": seed_in.external_seed,
            "secret": secret.hex(),
            "result_sha256": domain.sha256_hex(domain.canonical_json(draw.result)),
        },
    )
    log.info("experts.draw.drawn", draw_id=str(draw.id), meeting_id=str(draw.meeting_id))
    return await _read(repo, draw, _params(draw))


# --- step 4: signatures (EX-1) -------------------------------------------------------------------


async def signing_payload(session: AsyncSession, *, actor: Principal, draw_id: uuid.UUID) -> SigningPayload:
    """The exact text the calling drawer or supervisor signs with their own Ed25519 key."""
    repo = DrawRepository(session)
    draw = await _get(repo, draw_id)
    role = signer_role(actor, draw)
    if draw.result is None:
        raise _refused([Refusal("EX-1", "not_drawn", "尚未抽取或已作废的结果不能签名")], _Scope.of(draw))
    payload = signed_bytes(draw.result, signer_id=actor.subject, role=role)
    return SigningPayload(signer_id=actor.subject, role=role, payload=payload.decode("utf-8"))


def _public_key(pem: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise SignatureInvalid("公钥不是有效的 PEM 格式", code="public_key_invalid") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureInvalid("公钥须为 Ed25519 公钥", code="public_key_invalid")
    return key


async def sign(
    session: AsyncSession, *, actor: Principal, draw_id: uuid.UUID, signature_in: SignatureCreate, tools: Tools
) -> DrawRead:
    """Store a verified signature; at the pack's number of signers the panel is signed and published."""
    repo = DrawRepository(session)
    draw = await _get(repo, draw_id, for_update=True)
    role = signer_role(actor, draw)
    where = _Scope.of(draw)
    existing = await repo.signatures(draw.id)
    refusal = domain.signature_refusal(
        DrawStatus(draw.status), signer_id=actor.subject, signed_by=[s.signer_id for s in existing]
    )
    if refusal is not None:
        raise _refused([refusal], where)
    assert draw.result is not None  # drawn or signed: the result is there
    key = _public_key(signature_in.public_key_pem)
    key_id = public_key_id(key)
    if key_id in {s.key_id for s in existing}:
        # One key counts once in the pack (verify_pack): a second signer with it adds nothing.
        raise _refused(
            [Refusal("EX-1", "key_already_used", "该公钥已被另一签名人使用，每位签名人须使用自己的密钥")], where
        )
    try:
        key.verify(bytes.fromhex(signature_in.signature), signed_bytes(draw.result, signer_id=actor.subject, role=role))
    except InvalidSignature as exc:
        raise SignatureInvalid(
            "签名与抽取结果不符（须对 signing-payload 的内容签名）", rule="EX-1", code="signature_invalid"
        ) from exc
    repo.add(
        DrawSignature(
            draw_id=draw.id,
            signer_id=actor.subject,
            role=role,
            key_id=key_id,
            public_key_pem=signature_in.public_key_pem,
            signature=signature_in.signature,
            signed_at=tools.now,
        )
    )
    params = _params(draw)
    before = DrawStatus(draw.status)
    after = domain.status_after_signatures(len(existing) + 1, params)
    draw.status = after.value
    await repo.flush()
    published = before is not DrawStatus.SIGNED and after is DrawStatus.SIGNED
    await _journal(
        session,
        draw,
        actor,
        "draw.signed",
        event=await _panel_drawn(repo, draw) if published else None,
        rule_ids=[params.draw_signers.rule],
        data={"role": role, "key_id": key_id, "signatures": len(existing) + 1, "needed": params.draw_signers.value},
    )
    if published:
        _notify_panel(repo, draw)
    return await _read(repo, draw, params)


def _lots(draw: Draw) -> tuple[Lot, ...]:
    assert draw.result is not None
    return tuple(Lot(lot["specialty"], tuple(lot["members"]), tuple(lot["alternates"])) for lot in draw.result["lots"])


def _state(draw: Draw, replacements: Sequence[DrawReplacement]) -> PanelState:
    made = tuple(
        Replacement(
            r.specialty, r.replaced, r.replacement, "declined" if r.reason == "declined" else "conflicted", r.note
        )
        for r in replacements
    )
    return PanelState(_lots(draw), made)


async def _seats(repo: DrawRepository, state: PanelState) -> list[PanelSeat]:
    """The panel's seats, each with the account its expert signs in with (committees checks the
    expert's own token against it at the meeting; issue 15)."""
    seats = [(e, lot.specialty) for lot in state.lots for e in state.members(lot.specialty)]
    accounts = await repo.account_subjects([e for e, _ in seats])
    return [PanelSeat(expert_id=e, specialty=s, account_subject=accounts.get(e)) for e, s in seats]


async def _panel_drawn(repo: DrawRepository, draw: Draw) -> PanelDrawn:
    """``experts.panel.drawn``: the signed panel, published once the pack's signers have signed."""
    state = _state(draw, [])
    return from_record(
        PanelDrawn,
        draw,
        draw_id=draw.id,
        algorithm=ALGORITHM,
        members=await _seats(repo, state),
        alternates=[
            PanelAlternate(expert_id=e, specialty=lot.specialty, order=i)
            for lot in state.lots
            for i, e in enumerate(lot.alternates, start=1)
        ],
    )


def _notify_panel(repo: DrawRepository, draw: Draw) -> None:
    state = _state(draw, [])
    for lot in state.lots:
        for expert_id in lot.members:
            repo.add(_notification(draw, expert_id, lot.specialty, "member"))
    log.info("experts.panel.drawn", draw_id=str(draw.id), meeting_id=str(draw.meeting_id))


def _notification(draw: Draw, expert_id: str, specialty: str, kind: str) -> DrawNotification:
    return DrawNotification(
        draw_id=draw.id,
        meeting_id=draw.meeting_id,
        expert_id=expert_id,
        kind=kind,
        specialty=specialty,
        meeting_date=draw.meeting_date,
        attempts=0,
    )


# --- replacement ---------------------------------------------------------------------------------


async def replace(
    session: AsyncSession, *, actor: Principal, draw_id: uuid.UUID, replacement_in: ReplacementCreate, tools: Tools
) -> DrawRead:
    """A member declined or is conflicted: the next alternate of the specialty, recorded with the reason."""
    repo = DrawRepository(session)
    draw = await _get(repo, draw_id, for_update=True)
    _ensure_office(actor, draw.committee_id, draw.region)
    where = _Scope.of(draw)
    if draw.status != DrawStatus.SIGNED.value:
        raise _refused([Refusal("EX-1", "panel_not_signed", "抽取结果签名确认后方可递补备选专家")], where)
    made = await repo.replacements(draw.id)
    outcome = domain.replace_member(
        _state(draw, made), expert_id=replacement_in.expert_id, reason=replacement_in.reason, note=replacement_in.note
    )
    if isinstance(outcome, Refusal):
        raise _refused([outcome], where)
    state, replacement = outcome
    repo.add(
        DrawReplacement(
            draw_id=draw.id,
            seq=len(made) + 1,
            **fields_of(replacement, "specialty", "replaced", "replacement", "reason", "note"),
            made_by=actor.subject,
            made_at=tools.now,
        )
    )
    repo.add(_notification(draw, replacement.replacement, replacement.specialty, "replacement"))
    await repo.flush()
    replaced = from_record(
        PanelMemberReplaced,
        replacement,
        committee_id=draw.committee_id,
        meeting_id=draw.meeting_id,
        draw_id=draw.id,
        members=await _seats(repo, state),
    )
    await _journal(
        session,
        draw,
        actor,
        "draw.member_replaced",
        event=replaced,
        reason=replacement.note or replacement.reason,
        rule_ids=["EX-1", "NA-9"] if replacement.reason == "conflicted" else ["EX-1"],
        data={"seq": len(made) + 1, "specialty": replacement.specialty, "reason": replacement.reason},
    )
    log.info("experts.panel.member_replaced", draw_id=str(draw.id), seq=len(made) + 1)
    return await _read(repo, draw, _params(draw))


# --- reads ---------------------------------------------------------------------------------------


def _published(draw: Draw) -> dict[str, Any]:
    """The fields of a draw's read that are not its columns as stored."""
    return {"draw_id": draw.id, "status": DrawStatus(draw.status), "algorithm": ALGORITHM}


async def _read(repo: DrawRepository, draw: Draw, params: DrawParameters) -> DrawRead:
    signatures = await repo.signatures(draw.id)
    replacements = await repo.replacements(draw.id)
    lots: list[LotRead] | None = None
    if draw.result is not None:
        state = _state(draw, replacements)
        lots = [
            LotRead(
                specialty=lot.specialty,
                members=list(state.members(lot.specialty)),
                alternates=list(state.alternates_left(lot.specialty)),
            )
            for lot in state.lots
        ]
    signed = [
        from_record(SignatureRead, s, role="supervisor" if s.role == "supervisor" else "drawer") for s in signatures
    ]
    made = [
        from_record(ReplacementRead, r, reason="declined" if r.reason == "declined" else "conflicted")
        for r in replacements
    ]
    needed = params.draw_signers.value
    return from_record(
        DrawRead, draw, **_published(draw), lots=lots, signatures=signed, signatures_needed=needed, replacements=made
    )


async def get_commitment(session: AsyncSession, *, draw_id: uuid.UUID) -> CommitmentRead:
    """What is published of a draw: commitment and snapshot hash, never an expert."""
    draw = await _get(DrawRepository(session), draw_id)
    return from_record(CommitmentRead, draw, **_published(draw))


async def _journal_read(session: AsyncSession, actor: Principal, draw: Draw, what: str) -> None:
    await DRAWS.read(
        session,
        [draw],
        actor,
        f"draw.{what}_read",
        rule_ids=["NA-2"],
        policy_pack=draw.policy_pack,
        data={"meeting_id": str(draw.meeting_id)},
    )


async def get_draw(session: AsyncSession, *, actor: Principal, draw_id: uuid.UUID) -> DrawRead:
    """One draw with its panel (ids); the committee office, supervisors and auditors only (NA-2)."""
    repo = DrawRepository(session)
    draw = await _get(repo, draw_id)
    _ensure_reader(actor, draw)
    await _journal_read(session, actor, draw, "panel")
    return await _read(repo, draw, _params(draw))


async def list_draws(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID) -> DrawPage:
    """Every draw of a meeting, voided ones included, oldest first (NA-2 readers only)."""
    repo = DrawRepository(session)
    draws = await repo.of_meeting(meeting_id)
    for draw in draws:
        _ensure_reader(actor, draw)
    for draw in draws:
        await _journal_read(session, actor, draw, "panel")
    return DrawPage(items=[await _read(repo, draw, _params(draw)) for draw in draws])


async def evidence(session: AsyncSession, *, actor: Principal, draw_id: uuid.UUID, tools: Tools) -> dict[str, Any]:
    """The evidence pack (``zc-draw-evidence-v1``) of a drawn draw, for ``zhicheng draw verify``."""
    repo = DrawRepository(session)
    draw = await _get(repo, draw_id, snapshot=True, audit=True)
    _ensure_reader(actor, draw)
    if draw.result is None or draw.external_seed is None:
        raise _refused([Refusal("EX-1", "not_drawn", "尚未抽取，证据包在录入外部种子后生成")], _Scope.of(draw))
    signatures = await repo.signatures(draw.id)
    await _journal_read(session, actor, draw, "evidence")
    return assemble_pack(
        **fields_of(draw, *STORED_IN_PACK),
        secret=bytes.fromhex(tools.cipher.decrypt(draw.secret_token)),
        signatures=[
            {"signer_id": s.signer_id, "role": s.role, "key_id": s.key_id, "signature": s.signature} for s in signatures
        ],
    )


# --- notifications -------------------------------------------------------------------------------


async def send_notifications(
    session: AsyncSession, now: datetime, *, notifier: Notifier, source: PoolSnapshotSource, batch: int = 100
) -> int:
    """Send the pending notifications (scheduler job); a failed one stays pending with its error."""
    repo = DrawRepository(session)
    pending = await repo.pending_notifications(batch)
    if not pending:
        return 0
    addresses = await source.contact_emails(session, sorted({n.expert_id for n in pending}))
    sent = 0
    for row in pending:
        message = Notification(
            id=str(row.id),
            expert_id=row.expert_id,
            meeting_id=str(row.meeting_id),
            meeting_date=row.meeting_date,
            specialty=row.specialty,
            kind="member" if row.kind == "member" else "replacement",
        )
        try:
            await notifier.send(message, addresses.get(row.expert_id))
        except NotifierError as exc:
            row.attempts += 1
            row.last_error = str(exc)[:500]
            log.warning("experts.draw.notify_failed", notification_id=str(row.id), error=str(exc)[:200])
            continue
        await repo.mark_sent(row, now)
        sent += 1
    return sent
