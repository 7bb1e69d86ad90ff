"""The evidence pack of an expert draw (抽取证据包) and its offline verification.

A pack is one JSON document (``format: zc-draw-evidence-v1``, layout in ``docs/expert-draw.md``)
from which anyone holding the signers' public keys re-runs the draw and gets the same panel:

* ``snapshot`` (the eligible pool and the request) and its SHA-256, which keys the derivation;
* ``audit`` (the whole frozen pool, the applicants, the pack's parameters and every exclusion with
  its reasons) and its SHA-256, for auditors;
* ``commitment`` (published before the draw), the revealed ``secret``, the supervisor's
  ``external_seed`` and the ``result``, which binds all of the above;
* ``signatures`` of drawers and supervisors (EX-1), Ed25519 over the canonical result.

:func:`verify_pack` runs every check and names each one, so a changed byte in the secret, the
seed, the snapshot or the result shows which check it broke. Pure: no file, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import TypeAdapter, ValidationError

from zhicheng_common.auth import public_key_id
from zhicheng_common.schemas import fields_of
from zhicheng_experts.draw.domain import (
    ALGORITHM,
    SECRET_BYTES,
    Applicant,
    Candidate,
    DrawParameters,
    DrawRequest,
    Eligibility,
    Excluded,
    Expert,
    Lot,
    Meeting,
    PoolFiling,
    canonical_json,
    commitment_of,
    derive_panel,
    eligibility,
    sha256_hex,
)

FORMAT = "zc-draw-evidence-v1"
SNAPSHOT_FORMAT = "zc-draw-snapshot-v1"
AUDIT_FORMAT = "zc-draw-audit-v1"
RESULT_FORMAT = "zc-draw-result-v1"

SignerRole = Literal["drawer", "supervisor"]

_MEETING = TypeAdapter(Meeting)
_FILING = TypeAdapter(PoolFiling)
_EXPERTS = TypeAdapter(tuple[Expert, ...])
_APPLICANTS = TypeAdapter(tuple[Applicant, ...])
_EXCLUDED = TypeAdapter(tuple[Excluded, ...])
_CANDIDATES = TypeAdapter(tuple[Candidate, ...])
_REQUEST = TypeAdapter(DrawRequest)
_LOTS = TypeAdapter(tuple[Lot, ...])
_DATE = TypeAdapter(date)


@dataclass(frozen=True)
class PreparedDraw:
    """Steps 1–2 done: the pool frozen and sorted, both documents built and hashed."""

    eligibility: Eligibility
    snapshot: dict[str, Any]
    snapshot_sha256: str
    audit: dict[str, Any]
    audit_sha256: str

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        return self.eligibility.eligible


def prepare_draw(
    *,
    meeting: Meeting,
    request: DrawRequest,
    filing: PoolFiling,
    experts: Sequence[Expert],
    applicants: Sequence[Applicant],
    frozen_on: date,
    params: DrawParameters,
) -> PreparedDraw:
    """Freeze the pool for a draw: exclusions (step 2), the canonical snapshot and audit document (step 1)."""
    result = eligibility(
        meeting=meeting, filing=filing, experts=experts, applicants=applicants, frozen_on=frozen_on, params=params
    )
    snapshot = {
        "format": SNAPSHOT_FORMAT,
        "algorithm": ALGORITHM,
        "meeting_id": meeting.id,
        "committee_id": meeting.committee_id,
        "meeting_date": meeting.date.isoformat(),
        "frozen_on": frozen_on.isoformat(),
        "request": _REQUEST.dump_python(request, mode="json"),
        "eligible": _CANDIDATES.dump_python(result.eligible, mode="json"),
    }
    audit = {
        "format": AUDIT_FORMAT,
        "meeting": _MEETING.dump_python(meeting, mode="json"),
        "frozen_on": frozen_on.isoformat(),
        "parameters": params.model_dump(mode="json"),
        "filing": _FILING.dump_python(filing, mode="json"),
        "experts": _EXPERTS.dump_python(tuple(sorted(experts, key=lambda e: e.id)), mode="json"),
        "applicants": _APPLICANTS.dump_python(
            tuple(sorted(applicants, key=lambda a: (a.resident_id_hash, a.unit_credit_code))), mode="json"
        ),
        "exclusions": _EXCLUDED.dump_python(result.excluded, mode="json"),
    }
    return PreparedDraw(
        eligibility=result,
        snapshot=snapshot,
        snapshot_sha256=sha256_hex(canonical_json(snapshot)),
        audit=audit,
        audit_sha256=sha256_hex(canonical_json(audit)),
    )


def draw_result(
    *,
    snapshot: Mapping[str, Any],
    snapshot_sha256: str,
    audit_sha256: str,
    commitment: str,
    secret: bytes,
    external_seed: str,
) -> dict[str, Any]:
    """Steps 3–4: derive the panel from the snapshot and build the result the signers sign.

    Raises:
        ValueError: The secret does not match the commitment, or the pool cannot fill the request.
    """
    if commitment_of(secret) != commitment:
        raise ValueError("the secret does not match the commitment")
    request = _REQUEST.validate_python(snapshot["request"])
    lots = derive_panel(
        candidates=_CANDIDATES.validate_python(snapshot["eligible"]),
        quotas=request.quotas,
        snapshot_sha256=bytes.fromhex(snapshot_sha256),
        secret=secret,
        external_seed=external_seed,
    )
    return {
        "format": RESULT_FORMAT,
        "algorithm": ALGORITHM,
        "meeting_id": snapshot["meeting_id"],
        "snapshot_sha256": snapshot_sha256,
        "audit_sha256": audit_sha256,
        "commitment": commitment,
        "external_seed": external_seed,
        "lots": _LOTS.dump_python(lots, mode="json"),
    }


def signed_bytes(result: Mapping[str, Any], *, signer_id: str, role: SignerRole) -> bytes:
    """What a signer signs: the canonical JSON of ``{"result", "role", "signer_id"}``."""
    return canonical_json({"result": result, "role": role, "signer_id": signer_id})


def sign_result(
    result: Mapping[str, Any], *, signer_id: str, role: SignerRole, private_key: Ed25519PrivateKey
) -> dict[str, str]:
    """One drawer's or supervisor's signature entry (EX-1)."""
    signature = private_key.sign(signed_bytes(result, signer_id=signer_id, role=role))
    return {
        "signer_id": signer_id,
        "role": role,
        "key_id": public_key_id(private_key.public_key()),
        "signature": signature.hex(),
    }


def evidence_pack(
    prepared: PreparedDraw,
    *,
    commitment: str,
    secret: bytes,
    external_seed: str,
    result: Mapping[str, Any],
    signatures: Sequence[Mapping[str, str]],
) -> dict[str, Any]:
    """Step 5: the evidence pack, for the committee office, HR supervisors and auditors only (NA-2)."""
    return assemble_pack(
        **fields_of(prepared, "snapshot", "snapshot_sha256", "audit", "audit_sha256"),
        commitment=commitment,
        secret=secret,
        external_seed=external_seed,
        result=result,
        signatures=signatures,
    )


#: What the evidence pack carries of a drawn draw's row as stored.
STORED_IN_PACK = ("snapshot", "snapshot_sha256", "audit", "audit_sha256", "commitment", "external_seed", "result")


def assemble_pack(
    *,
    snapshot: Mapping[str, Any],
    snapshot_sha256: str,
    audit: Mapping[str, Any],
    audit_sha256: str,
    commitment: str,
    secret: bytes,
    external_seed: str,
    result: Mapping[str, Any],
    signatures: Sequence[Mapping[str, str]],
) -> dict[str, Any]:
    """The evidence pack from the documents as stored (the service keeps them, not the PreparedDraw)."""
    return {
        "format": FORMAT,
        "algorithm": ALGORITHM,
        "meeting_id": snapshot["meeting_id"],
        "snapshot": dict(snapshot),
        "snapshot_sha256": snapshot_sha256,
        "audit": dict(audit),
        "audit_sha256": audit_sha256,
        "commitment": commitment,
        "secret": secret.hex(),
        "external_seed": external_seed,
        "result": dict(result),
        "signatures": [dict(s) for s in signatures],
    }


# --- Verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verification:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(check.name for check in self.checks if not check.ok)


def _run(name: str, check: Callable[[], tuple[bool, str]]) -> Check:
    # A tampered pack may be malformed anywhere: a check that cannot read what it needs fails, naming why.
    try:
        ok, detail = check()
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]["loc"]
            return Check(name, False, f"unreadable: {exc.error_count()} invalid field(s), first at {first}")
        return Check(name, False, f"unreadable: {type(exc).__name__}: {exc}")
    return Check(name, ok, detail)


def _without_messages(excluded: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    # Messages are display text and may be reworded; codes, rules and applicants are what is checked.
    return [
        {
            "expert_id": e["expert_id"],
            "reasons": [
                {"code": r["code"], "rule": r["rule"], "also": list(r["also"]), "applicant": r["applicant"]}
                for r in e["reasons"]
            ],
        }
        for e in excluded
    ]


def _rerun_eligibility(pack: Mapping[str, Any]) -> tuple[bool, str]:
    audit, snapshot = pack["audit"], pack["snapshot"]
    meeting = _MEETING.validate_python(audit["meeting"])
    frozen_on = _DATE.validate_python(audit["frozen_on"])
    rerun = eligibility(
        meeting=meeting,
        filing=_FILING.validate_python(audit["filing"]),
        experts=_EXPERTS.validate_python(audit["experts"]),
        applicants=_APPLICANTS.validate_python(audit["applicants"]),
        frozen_on=frozen_on,
        params=DrawParameters.model_validate(audit["parameters"]),
    )
    recorded = (snapshot["meeting_id"], snapshot["committee_id"], snapshot["meeting_date"], snapshot["frozen_on"])
    if recorded != (meeting.id, meeting.committee_id, meeting.date.isoformat(), frozen_on.isoformat()):
        return False, "the snapshot names another meeting or freezing day than the audit"
    expected = _without_messages(_EXCLUDED.dump_python(rerun.excluded, mode="json"))
    stated = _without_messages(audit["exclusions"])
    if expected != stated:
        wrong = sorted(
            {e["expert_id"] for e in expected if e not in stated}
            | {e["expert_id"] for e in stated if e not in expected}
        )
        return False, f"exclusions differ from the rules re-applied to the frozen pool, for {', '.join(wrong[:5])}"
    if _CANDIDATES.dump_python(rerun.eligible, mode="json") != snapshot["eligible"]:
        return False, "the snapshot's eligible experts differ from the frozen pool less its exclusions"
    return True, f"{len(rerun.eligible)} eligible, {len(rerun.excluded)} excluded, as recorded"


def _reproduce_result(pack: Mapping[str, Any]) -> tuple[bool, str]:
    expected = draw_result(
        snapshot=pack["snapshot"],
        snapshot_sha256=pack["snapshot_sha256"],
        audit_sha256=pack["audit_sha256"],
        commitment=commitment_of(bytes.fromhex(pack["secret"])),
        secret=bytes.fromhex(pack["secret"]),
        external_seed=pack["external_seed"],
    )
    if canonical_json(expected) == canonical_json(pack["result"]):
        return True, "re-running the draw gives the recorded result"
    differing = sorted(k for k in set(expected) | set(pack["result"]) if expected.get(k) != pack["result"].get(k))
    return False, f"re-running the draw gives another result (fields {', '.join(differing)})"


def _verify_signature(
    pack: Mapping[str, Any], entry: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]
) -> tuple[bool, str]:
    key = keys.get(entry["key_id"])
    if key is None:
        return False, f"no trusted public key with id {entry['key_id']}"
    try:
        key.verify(
            bytes.fromhex(entry["signature"]),
            signed_bytes(pack["result"], signer_id=entry["signer_id"], role=entry["role"]),
        )
    except InvalidSignature:
        return False, f"the signature of {entry['role']} {entry['signer_id']} fails with key {entry['key_id']}"
    return True, f"{entry['role']} {entry['signer_id']} signed with key {entry['key_id']}"


def verify_pack(pack: Mapping[str, Any], keys: Iterable[Ed25519PublicKey]) -> Verification:
    """Re-run a draw from its evidence pack and check everything in it, offline.

    Checks, by name: ``format``; ``commitment`` (the secret hashes to it); ``snapshot_hash`` and
    ``audit_hash``; ``exclusions`` (the rules re-applied to the frozen pool give the recorded
    exclusions and the snapshot's eligible list); ``result`` (the derivation reproduces the result);
    ``signature:<signer id>`` for each signature, against ``keys`` (the trusted public keys of the
    drawers and supervisors); ``signers`` (at least the pack's number of distinct signers, EX-1).
    """
    trusted = {public_key_id(key): key for key in keys}
    checks = [
        _run(
            "format",
            lambda: (
                pack["format"] == FORMAT and pack["algorithm"] == ALGORITHM == pack["snapshot"]["algorithm"],
                f"{pack['format']}, algorithm {pack['algorithm']}",
            ),
        ),
        _run(
            "commitment",
            lambda: (
                len(bytes.fromhex(pack["secret"])) == SECRET_BYTES
                and commitment_of(bytes.fromhex(pack["secret"])) == pack["commitment"],
                "SHA-256 of the revealed secret against the published commitment",
            ),
        ),
        _run(
            "snapshot_hash",
            lambda: (
                sha256_hex(canonical_json(pack["snapshot"])) == pack["snapshot_sha256"],
                "SHA-256 of the canonical snapshot of the eligible pool",
            ),
        ),
        _run(
            "audit_hash",
            lambda: (
                sha256_hex(canonical_json(pack["audit"])) == pack["audit_sha256"],
                "SHA-256 of the canonical frozen pool with its exclusions",
            ),
        ),
        _run("exclusions", lambda: _rerun_eligibility(pack)),
        _run("result", lambda: _reproduce_result(pack)),
    ]
    entries = pack.get("signatures") if isinstance(pack.get("signatures"), list) else []
    signature_checks = [
        _run(f"signature:{entry.get('signer_id') if isinstance(entry, Mapping) else '?'}", _bind(pack, entry, trusted))
        for entry in entries or []
    ]
    checks.extend(signature_checks)
    checks.append(_run("signers", lambda: _enough_signers(pack, entries or [], signature_checks)))
    return Verification(tuple(checks))


def _bind(
    pack: Mapping[str, Any], entry: Any, trusted: Mapping[str, Ed25519PublicKey]
) -> Callable[[], tuple[bool, str]]:
    return lambda: _verify_signature(pack, entry, trusted)


def _enough_signers(pack: Mapping[str, Any], entries: Sequence[Any], checks: Sequence[Check]) -> tuple[bool, str]:
    needed = DrawParameters.model_validate(pack["audit"]["parameters"]).draw_signers.value
    good = [entry for entry, check in zip(entries, checks, strict=True) if check.ok]
    # One person or one key counts once, however many entries carry it.
    distinct = min(len({entry["signer_id"] for entry in good}), len({entry["key_id"] for entry in good}))
    return distinct >= needed, f"{distinct} distinct valid signer(s), the pack asks for {needed} (EX-1)"


def panel_lines(pack: Mapping[str, Any]) -> list[str]:
    """The recorded panel as lines of ids (for ``zhicheng draw verify``); no names (NA-2)."""
    lines = [f"meeting {pack['meeting_id']}"]
    for lot in pack["result"]["lots"]:
        lines.append(f"  {lot['specialty']}: members {', '.join(lot['members'])}")
        lines.append(f"  {lot['specialty']}: alternates {', '.join(lot['alternates']) or '-'}")
    return lines
