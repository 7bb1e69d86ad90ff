"""Key rings: every signing key of the platform, read from mounted files (docs/keys.md).

A ring is one directory per purpose (``<ZC_KEYS_DIR>/<purpose>/``, e.g. ``jwt``,
``review-decisions``, ``journal-intake``) holding

* ``ring.json``: the public half, safe to publish: for each key its id, algorithm, public key
  and signing period (``not_before`` ≤ t < ``not_after``, no end while ``not_after`` is null);
* ``<key id>.pem``: each private key (Ed25519, PKCS#8, mode 0600).

The key that signs at an instant is, of the keys whose period covers it, the one that started
last, so a rotation can be staged: the new key is published first and takes over at its
``not_before``. A signature is accepted when its key id is in the ring and the key's period
covered the moment of signing, so old decisions, seals and tokens keep verifying after a
rotation; an unknown key id, or a key used outside its period, is refused.

Reading a ring never creates anything. Only :func:`init_ring` and :func:`rotate_ring` (the
``zhicheng keys`` commands, and :func:`ring_for` for the embedded default outside production)
write one. In production a missing ring stops the service at start.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zhicheng_common.auth import public_key_id
from zhicheng_common.settings import CommonSettings

log = structlog.get_logger()

RING_FILE = "ring.json"
ALGORITHM = "Ed25519"
RING_FORMAT = 1
DEFAULT_GRACE = timedelta(hours=24)
# The first key of a ring generated for the embedded default signs from here, so tests and
# rehearsals whose clock is set in the past can sign too (nothing older exists to be confused with).
EMBEDDED_NOT_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)

JWT = "jwt"
REVIEW_DECISIONS = "review-decisions"
#: Committees sign every closed ballot round's tally (NA-7, docs/secret-ballot.md).
COMMITTEES_TALLIES = "committees-tallies"
#: The gateway signs the pages of inter-agency feeds an agency pulls (docs/feeds.md).
FEED_PAGES = "feed-pages"
#: The certificates service signs every certificate twice (docs/certificates.md): with the
#: Ed25519 ring (a ring of this module) and with the SM2 ring (the same layout with SM2 PKCS#8
#: keys, read and written by ``zhicheng_certificates.signing.keyring``).
CERTIFICATES_ED25519 = "certificates-ed25519"
CERTIFICATES_SM2 = "certificates-sm2"


def journal_purpose(service: str) -> str:
    """The ring that signs ``service``'s journal seals."""
    return f"journal-{service}"


K = TypeVar("K", bound="PublicRingKey")


class KeyRingError(Exception):
    """A ring that is missing, unreadable or inconsistent (a start-up error, never a request's)."""


class KeyRefused(Exception):
    """A signature's key id is not in the ring, or its key was used outside its signing period."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PublicRingKey:
    """A published key: id, public key and the period in which it may sign."""

    key_id: str
    public_key: Ed25519PublicKey
    not_before: datetime
    not_after: datetime | None = None

    def covers(self, instant: datetime) -> bool:
        return self.not_before <= instant and (self.not_after is None or instant < self.not_after)

    def to_json(self) -> dict[str, Any]:
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        pem = self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return {
            "kid": self.key_id,
            "alg": ALGORITHM,
            "public_key": base64.urlsafe_b64encode(raw).decode().rstrip("="),
            "public_key_pem": pem.decode(),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat() if self.not_after else None,
        }


@dataclass(frozen=True)
class RingKey(PublicRingKey):
    """A key of the ring with its private half."""

    private_key: Ed25519PrivateKey | None = None

    def sign(self, message: bytes) -> bytes:
        if self.private_key is None:  # pragma: no cover - every RingKey from load_ring has one
            raise KeyRingError(f"key {self.key_id} has no private key")
        return self.private_key.sign(message)


class PublicRing:
    """The published keys of one purpose: what verifies its signatures, online or offline."""

    def __init__(self, purpose: str, keys: Iterable[PublicRingKey]) -> None:
        self.purpose = purpose
        self.keys: tuple[PublicRingKey, ...] = tuple(sorted(keys, key=lambda k: k.not_before))
        ids = [k.key_id for k in self.keys]
        if len(set(ids)) != len(ids):
            raise KeyRingError(f"ring {purpose}: a key id appears twice")

    def key(self, key_id: str, *, signed_at: datetime) -> PublicRingKey:
        """The key ``key_id``, if it was allowed to sign at ``signed_at``; else :class:`KeyRefused`."""
        for key in self.keys:
            if key.key_id == key_id:
                if not key.covers(signed_at):
                    end = key.not_after.isoformat() if key.not_after else "至今"
                    raise KeyRefused(
                        "key_not_valid_at_signing",
                        f"签名密钥 {key_id} 在签名时间 {signed_at.isoformat()} 不在有效期内"
                        f"（{key.not_before.isoformat()} 至 {end}）",
                    )
                return key
        raise KeyRefused("unknown_key", f"未公布的签名密钥：{key_id}")

    def verify(self, key_id: str, signature: bytes, message: bytes, *, signed_at: datetime) -> bool:
        """Whether ``signature`` over ``message`` is by key ``key_id`` within its signing period."""
        try:
            key = self.key(key_id, signed_at=signed_at)
            key.public_key.verify(signature, message)
        except (KeyRefused, InvalidSignature):
            return False
        return True

    def current_id(self, instant: datetime) -> str | None:
        """The id of the key that signs at ``instant`` (None when none may)."""
        valid = [k for k in self.keys if k.covers(instant)]
        return _latest(valid).key_id if valid else None

    def to_json(self) -> dict[str, Any]:
        return {"format": RING_FORMAT, "purpose": self.purpose, "keys": [k.to_json() for k in self.keys]}

    def jwks(self) -> dict[str, Any]:
        """Every key as a JWKS; ``zc_not_before``/``zc_not_after`` carry the signing period."""
        entries = []
        for key in self.keys:
            jwk = public_jwk_of(key.public_key, key.key_id)
            jwk["zc_not_before"] = key.not_before.isoformat()
            jwk["zc_not_after"] = key.not_after.isoformat() if key.not_after else None
            entries.append(jwk)
        return {"keys": entries}

    @classmethod
    def from_json(cls, document: Any, *, source: str = "ring") -> PublicRing:
        """A ring's public half as ``ring.json`` (or ``zhicheng keys export``) holds it."""
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise KeyRingError(f"{source}: not a key ring (an object with a list of keys)")
        keys = [_public_key_from_json(entry, source) for entry in document["keys"]]
        return cls(str(document.get("purpose", "")), keys)


class KeyRing(PublicRing):
    """A ring with its private keys: signs with the key of the moment, verifies with any."""

    keys: tuple[RingKey, ...]

    def __init__(self, purpose: str, keys: Iterable[RingKey]) -> None:
        super().__init__(purpose, keys)

    def signer(self, instant: datetime) -> RingKey:
        """The key that signs at ``instant``: of those valid then, the one that started last."""
        valid = [k for k in self.keys if k.covers(instant)]
        if not valid:
            raise KeyRingError(f"ring {self.purpose}: no key may sign at {instant.isoformat()}; rotate the ring")
        return _latest(valid)

    def public(self) -> PublicRing:
        return PublicRing(
            self.purpose, [PublicRingKey(k.key_id, k.public_key, k.not_before, k.not_after) for k in self.keys]
        )


def _latest(keys: list[K]) -> K:
    """The key that started last; of keys starting together, the one added last."""
    return sorted(keys, key=lambda k: k.not_before)[-1]


def public_jwk_of(public_key: Ed25519PublicKey, kid: str) -> dict[str, Any]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "kid": kid,
        "use": "sig",
        "alg": "EdDSA",
    }


def _instant(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise KeyRingError(f"{what}: expected an ISO time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise KeyRingError(f"{what}: {value!r} is not an ISO time") from None
    if moment.tzinfo is None:
        raise KeyRingError(f"{what}: {value!r} names no time zone")
    return moment


def _public_key_from_json(entry: Any, source: str) -> PublicRingKey:
    if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
        raise KeyRingError(f"{source}: a key without a kid")
    kid = entry["kid"]
    if entry.get("alg") != ALGORITHM:
        raise KeyRingError(f"{source}: key {kid} is {entry.get('alg')!r}, only {ALGORITHM} is supported")
    try:
        raw = base64.urlsafe_b64decode(str(entry["public_key"]) + "=" * (-len(str(entry["public_key"])) % 4))
        public = Ed25519PublicKey.from_public_bytes(raw)
    except (KeyError, ValueError):
        raise KeyRingError(f"{source}: key {kid} has no readable public key") from None
    if public_key_id(public) != kid:
        raise KeyRingError(f"{source}: key {kid} does not match its public key")
    not_after = entry.get("not_after")
    return PublicRingKey(
        kid,
        public,
        _instant(entry.get("not_before"), f"{source}: {kid}.not_before"),
        _instant(not_after, f"{source}: {kid}.not_after") if not_after is not None else None,
    )


def ring_exists(directory: Path) -> bool:
    return (directory / RING_FILE).is_file()


def read_ring_file(directory: Path, *, missing: str) -> tuple[Path, Any]:
    """The path and parsed JSON of the ring file in ``directory`` (any ring of this layout, the
    certificates' SM2 ring too); :class:`KeyRingError` saying ``missing`` when there is none."""
    path = directory / RING_FILE
    try:
        return path, json.loads(path.read_text())
    except FileNotFoundError:
        raise KeyRingError(missing) from None
    except (OSError, ValueError) as exc:
        raise KeyRingError(f"{path}: unreadable ({exc})") from None


def load_ring(directory: Path) -> KeyRing:
    """Read the ring in ``directory``; :class:`KeyRingError` when it is missing or inconsistent."""
    path, document = read_ring_file(
        directory, missing=f"no key ring at {directory} (create one with `zhicheng keys init`)"
    )
    public = PublicRing.from_json(document, source=str(path))
    keys: list[RingKey] = []
    for key in public.keys:
        pem_path = directory / f"{key.key_id}.pem"
        try:
            private = serialization.load_pem_private_key(pem_path.read_bytes(), password=None)
        except FileNotFoundError:
            raise KeyRingError(f"{directory}: the private key of {key.key_id} ({pem_path.name}) is missing") from None
        except ValueError as exc:
            raise KeyRingError(f"{pem_path}: unreadable ({exc})") from None
        if not isinstance(private, Ed25519PrivateKey) or public_key_id(private.public_key()) != key.key_id:
            raise KeyRingError(f"{pem_path} is not the Ed25519 private key of {key.key_id}")
        keys.append(RingKey(key.key_id, key.public_key, key.not_before, key.not_after, private))
    if not keys:
        raise KeyRingError(f"{path}: the ring holds no key")
    return KeyRing(public.purpose, keys)


def _write_ring(directory: Path, ring: KeyRing) -> None:
    """Write the private keys not there yet, then ``ring.json`` by an atomic rename."""
    directory.mkdir(parents=True, exist_ok=True)
    for key in ring.keys:
        pem_path = directory / f"{key.key_id}.pem"
        if pem_path.exists() or key.private_key is None:
            continue
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as pem_file:
            pem_file.write(pem)
    with tempfile.NamedTemporaryFile("w", dir=directory, prefix=".ring-", suffix=".json", delete=False) as handle:
        json.dump(ring.to_json(), handle, indent=2)
        handle.write("\n")
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, directory / RING_FILE)


def _new_key(not_before: datetime, private: Ed25519PrivateKey | None = None) -> RingKey:
    private = private or Ed25519PrivateKey.generate()
    public = private.public_key()
    # Whole seconds: a JWT's ``iat`` is one, and must not fall before the key that signed it.
    return RingKey(public_key_id(public), public, not_before.replace(microsecond=0), None, private)


def init_ring(
    directory: Path, purpose: str, *, not_before: datetime, private_key: Ed25519PrivateKey | None = None
) -> KeyRing:
    """Create a ring of one new key (or of ``private_key``, to adopt an existing key) signing from ``not_before``.

    Refused when a ring is there already: a ring is created once, then only rotated. The ring is
    made in a scratch directory and renamed into place, so two processes starting together
    never end up signing with different keys: the second one's rename fails.
    """
    if ring_exists(directory):
        raise KeyRingError(f"a key ring exists at {directory} already; rotate it instead")
    ring = KeyRing(purpose, [_new_key(not_before, private_key)])
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}-"))
    _write_ring(scratch, ring)
    scratch.chmod(0o700)
    try:
        os.rename(scratch, directory)  # onto a missing or empty directory only
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        raise KeyRingError(f"a key ring exists at {directory} already; rotate it instead") from None
    log.info("keys.ring_created", purpose=purpose, directory=str(directory), key_id=ring.keys[0].key_id)
    return ring


def rotate_ring(
    directory: Path, *, now: datetime, not_before: datetime | None = None, grace: timedelta = DEFAULT_GRACE
) -> tuple[KeyRing, RingKey]:
    """Add a new key that signs from ``not_before`` (default ``now``); the keys still open stop
    signing ``grace`` after it (replicas not yet restarted may sign with them until then).

    Old keys stay in the ring, so what they signed keeps verifying. Returns the ring and the new key.
    """
    ring = load_ring(directory)
    start = not_before or now
    if start < now:
        raise KeyRingError(f"not_before {start.isoformat()} is in the past")
    closed: list[RingKey] = []
    for key in ring.keys:
        end = start + grace
        if key.not_after is None or key.not_after > end:
            key = RingKey(key.key_id, key.public_key, key.not_before, max(end, key.not_before), key.private_key)
        closed.append(key)
    new = _new_key(start)
    rotated = KeyRing(ring.purpose, [*closed, new])
    _write_ring(directory, rotated)
    log.info("keys.ring_rotated", purpose=ring.purpose, directory=str(directory), key_id=new.key_id)
    return rotated, new


def keys_dir(settings: CommonSettings) -> Path:
    """Where the rings live: ``ZC_KEYS_DIR``, else ``<ZC_DATA_DIR>/keys``."""
    return settings.keys_dir or settings.data_dir / "keys"


def ring_for(settings: CommonSettings, purpose: str) -> KeyRing:
    """The ring of ``purpose``, read at start-up.

    Outside production a missing ring is generated once (the embedded default, tests), its key
    signing from :data:`EMBEDDED_NOT_BEFORE`; in production it is a start-up error: keys come
    from the mounted secret, never from the pod.
    """
    directory = keys_dir(settings) / purpose
    if ring_exists(directory) or settings.environment == "production":
        return load_ring(directory)
    try:
        return init_ring(directory, purpose, not_before=EMBEDDED_NOT_BEFORE)
    except KeyRingError:  # another process of the embedded stack made it first
        return load_ring(directory)


def read_public_ring(path: Path) -> PublicRing:
    """A published ring from a file: ``ring.json``, ``zhicheng keys export`` or a ring directory."""
    if path.is_dir():
        path = path / RING_FILE
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyRingError(f"{path}: unreadable ({exc})") from None
    return PublicRing.from_json(document, source=str(path))


def rings_under(directory: Path) -> Mapping[str, Path]:
    """The ring directories under ``directory`` by purpose (for ``zhicheng keys list``)."""
    if not directory.is_dir():
        return {}
    return {child.name: child for child in sorted(directory.iterdir()) if ring_exists(child)}


__all__ = [
    "CERTIFICATES_ED25519",
    "CERTIFICATES_SM2",
    "COMMITTEES_TALLIES",
    "FEED_PAGES",
    "JWT",
    "REVIEW_DECISIONS",
    "KeyRefused",
    "KeyRing",
    "KeyRingError",
    "PublicRing",
    "PublicRingKey",
    "RingKey",
    "init_ring",
    "journal_purpose",
    "keys_dir",
    "load_ring",
    "public_jwk_of",
    "read_public_ring",
    "ring_for",
    "rotate_ring",
]
