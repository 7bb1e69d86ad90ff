"""The certificate key rings, read from configuration: one Ed25519 ring and one SM2 ring (docs/keys.md).

Each ring is a directory under ``ZC_KEYS_DIR`` (``certificates-ed25519/``, ``certificates-sm2/``)
mounted from the secret store: ``ring.json`` (public halves and signing periods) and one
``<key id>.pem`` per private key. The Ed25519 ring is an ordinary platform ring
(:mod:`zhicheng_common.keys`); the SM2 ring has the same layout with SM2 PKCS#8 keys. Outside
production a missing ring is generated once for the embedded default; in production it stops
the service at start. Reading never creates a key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from zhicheng_certificates.signing.domain import (
    Algorithm,
    PublishedKey,
    SigningKey,
    Validity,
    generate_sm2_key,
    load_sm2_private_key,
    signing_key_at,
    sm2_private_key_pem,
    sm2_public_key_pem,
    sm2_public_key_point,
)
from zhicheng_common.keys import (
    DEFAULT_GRACE,
    EMBEDDED_NOT_BEFORE,
    RING_FILE,
    KeyRingError,
    keys_dir,
    read_ring_file,
    ring_exists,
    ring_for,
)
from zhicheng_common.refusals import Refusal
from zhicheng_common.settings import CommonSettings

SM2_ALGORITHM = "SM2"


@dataclass(frozen=True)
class CertificateKeys:
    """Every signing key of both rings; the one that signs at an instant is chosen per algorithm."""

    keys: tuple[SigningKey, ...]

    def signer(self, algorithm: Algorithm, instant: datetime) -> SigningKey:
        key = signing_key_at(self.keys, algorithm, instant)
        if isinstance(key, Refusal):
            raise KeyRingError(key.message)
        return key

    def published(self) -> list[PublishedKey]:
        return [key.published() for key in self.keys]


def sm2_key_id(key: Any) -> str:
    """A key's id: the first 16 hex digits of SHA-256 of its ``04‖x‖y`` point (as platform rings do)."""
    return hashlib.sha256(sm2_public_key_point(key.public_key())).hexdigest()[:16]


def _instant(value: object, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise KeyRingError(f"{what}: {value!r} is not an ISO time") from None
    if moment.tzinfo is None:
        raise KeyRingError(f"{what}: {value!r} names no time zone")
    return moment


def load_sm2_ring(directory: Path) -> list[SigningKey]:
    """The SM2 keys of the ring in ``directory``; :class:`KeyRingError` when missing or inconsistent."""
    path, document = read_ring_file(directory, missing=f"no SM2 key ring at {directory}")
    keys: list[SigningKey] = []
    for entry in document.get("keys", []) if isinstance(document, dict) else []:
        kid = str(entry.get("kid"))
        if entry.get("alg") != SM2_ALGORITHM:
            raise KeyRingError(f"{path}: key {kid} is not an SM2 key")
        try:
            private = load_sm2_private_key((directory / f"{kid}.pem").read_bytes())
        except (OSError, ValueError) as exc:
            raise KeyRingError(f"{directory}: the private key of {kid} is missing or unreadable ({exc})") from None
        if sm2_key_id(private) != kid:
            raise KeyRingError(f"{directory}/{kid}.pem is not the SM2 private key of {kid}")
        not_after = entry.get("not_after")
        validity = Validity(
            _instant(entry.get("not_before"), f"{kid}.not_before"),
            _instant(not_after, f"{kid}.not_after") if not_after is not None else None,
        )
        keys.append(SigningKey(kid, Algorithm.SM2, private, validity))
    if not keys:
        raise KeyRingError(f"{path}: the ring holds no key")
    return keys


def _write_sm2_ring(directory: Path, purpose: str, keys: Sequence[SigningKey]) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for key in keys:
        pem_path = directory / f"{key.key_id}.pem"
        if pem_path.exists():
            continue
        descriptor = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(sm2_private_key_pem(key.private_key))
    document = {
        "format": 1,
        "purpose": purpose,
        "keys": [
            {
                "kid": key.key_id,
                "alg": SM2_ALGORITHM,
                "public_key_pem": sm2_public_key_pem(key.private_key.public_key()),
                "not_before": key.validity.not_before.isoformat(),
                "not_after": key.validity.not_after.isoformat() if key.validity.not_after else None,
            }
            for key in keys
        ],
    }
    with tempfile.NamedTemporaryFile("w", dir=directory, prefix=".ring-", suffix=".json", delete=False) as ring:
        json.dump(document, ring, indent=2)
    os.replace(ring.name, directory / RING_FILE)


def _new_sm2_key(not_before: datetime) -> SigningKey:
    private = generate_sm2_key()
    return SigningKey(sm2_key_id(private), Algorithm.SM2, private, Validity(not_before.replace(microsecond=0)))


def init_sm2_ring(directory: Path, purpose: str, *, not_before: datetime) -> list[SigningKey]:
    """Create an SM2 ring of one new key signing from ``not_before``; refused when one is there."""
    if ring_exists(directory):
        raise KeyRingError(f"a key ring exists at {directory} already; rotate it instead")
    keys = [_new_sm2_key(not_before)]
    _write_sm2_ring(directory, purpose, keys)
    return keys


def rotate_sm2_ring(
    directory: Path, *, now: datetime, not_before: datetime | None = None, grace: timedelta = DEFAULT_GRACE
) -> list[SigningKey]:
    """Add a key signing from ``not_before`` (default ``now``); keys still open stop ``grace`` after it.

    The old keys stay in the ring (and published), so every certificate they signed keeps verifying.
    """
    keys = load_sm2_ring(directory)
    start = not_before or now
    if start < now:
        raise KeyRingError(f"not_before {start.isoformat()} is in the past")
    end = start + grace
    closed = [
        key
        if key.validity.not_after is not None and key.validity.not_after <= end
        else SigningKey(key.key_id, key.algorithm, key.private_key, _closed(key.validity, end))
        for key in keys
    ]
    rotated = [*closed, _new_sm2_key(start)]
    _write_sm2_ring(directory, directory.name, rotated)
    return rotated


def _closed(validity: Validity, end: datetime) -> Validity:
    """The period cut at ``end`` (a key staged to start after ``end`` gets an empty period, not a negative one)."""
    return Validity(validity.not_before, max(end, validity.not_before))


def load_certificate_keys(common: CommonSettings, *, ed25519_ring: str, sm2_ring: str) -> CertificateKeys:
    """Both rings, read at start-up (generated once outside production when missing)."""
    ed = ring_for(common, ed25519_ring)
    keys = [
        SigningKey(k.key_id, Algorithm.ED25519, k.private_key, Validity(k.not_before, k.not_after))
        for k in ed.keys
        if k.private_key is not None
    ]
    directory = keys_dir(common) / sm2_ring
    if not ring_exists(directory) and common.environment != "production":
        with contextlib.suppress(KeyRingError):  # another process of the embedded stack made it first
            init_sm2_ring(directory, sm2_ring, not_before=EMBEDDED_NOT_BEFORE)
    return CertificateKeys((*keys, *load_sm2_ring(directory)))
