"""W3C Bitstring Status List v1.0 (证书状态列表): one bit per certificate, no I/O.

A certificate gets one index at issuance and keeps it; two lists share the index space:
``revocation`` (permanent: revoked or superseded) and ``suspension`` (cleared on reinstatement).
Bit *i* is bit ``7 - i % 8`` of byte ``i // 8``: index 0 is the most significant bit of byte 0.
The ``encodedList`` is the multibase base64url (``u…``, no padding) of the GZIP of the bitstring.
Each list is published as a ``BitstringStatusListCredential`` secured with ``eddsa-jcs-2022``,
so an offline verifier can tell the issuer's list from a forged one.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhicheng_certificates.signing.domain import add_eddsa_jcs_proof, b64url_decode, b64url_encode, rfc3339
from zhicheng_common.refusals import Refusal

MIN_ENTRIES = 131_072
"""The specification's minimum list length (16 KiB), so that one index says little about a holder."""

MAX_DECODED_BYTES = 16 * 1024 * 1024
"""A decoded list larger than this (134 million entries) is refused: a gzip bomb, not a status list."""

StatusPurpose = Literal["revocation", "suspension"]
STATUS_PURPOSES: tuple[StatusPurpose, ...] = ("revocation", "suspension")


class BitstringStatusList:
    """A mutable bitstring of at least :data:`MIN_ENTRIES` bits, a multiple of 8 long."""

    def __init__(self, size: int = MIN_ENTRIES) -> None:
        if size < MIN_ENTRIES or size % 8:
            raise ValueError(f"a status list holds at least {MIN_ENTRIES} entries, a multiple of 8")
        self._bits = bytearray(size // 8)

    @property
    def size(self) -> int:
        return len(self._bits) * 8

    def _check(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise IndexError(f"status list index {index} outside 0..{self.size - 1}")

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bits[index // 8] & (0x80 >> (index % 8)))

    def set(self, index: int, value: bool = True) -> None:
        self._check(index)
        mask = 0x80 >> (index % 8)
        if value:
            self._bits[index // 8] |= mask
        else:
            self._bits[index // 8] &= ~mask & 0xFF

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def encode(self) -> str:
        """``u`` + unpadded base64url of the GZIP (mtime 0, so the same bits give the same text)."""
        compressed = gzip.compress(self.to_bytes(), compresslevel=9, mtime=0)
        return "u" + b64url_encode(compressed)

    @classmethod
    def from_bytes(cls, raw: bytes) -> BitstringStatusList:
        status_list = cls(len(raw) * 8)  # refuses fewer than MIN_ENTRIES bits
        status_list._bits[:] = raw
        return status_list


def decode_status_list(encoded: str) -> BitstringStatusList | Refusal:
    """Read an ``encodedList``; a refusal says what is wrong with it."""
    if not encoded.startswith("u"):
        return Refusal("", "status_list_malformed", "encodedList 应以 multibase 前缀 u（base64url）开头")
    try:
        compressed = b64url_decode(encoded[1:])
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
        raw = decompressor.decompress(compressed, MAX_DECODED_BYTES + 1)
    except (ValueError, zlib.error):
        return Refusal("", "status_list_malformed", "encodedList 不是 base64url 编码的 GZIP 数据")
    if len(raw) > MAX_DECODED_BYTES or decompressor.unconsumed_tail:
        return Refusal("", "status_list_too_large", "状态列表解压后过大")
    if not decompressor.eof:
        return Refusal("", "status_list_malformed", "encodedList 的 GZIP 数据不完整")
    if len(raw) * 8 < MIN_ENTRIES:
        return Refusal("", "status_list_too_short", f"状态列表应至少有 {MIN_ENTRIES} 个条目，实际 {len(raw) * 8}")
    return BitstringStatusList.from_bytes(raw)


@dataclass(frozen=True)
class StatusEntry:
    """One ``credentialStatus`` entry of a certificate."""

    purpose: StatusPurpose
    index: int
    list_url: str

    def to_json(self) -> dict[str, str]:
        return {
            "id": f"{self.list_url}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_url,
        }


def status_list_url(base_url: str, purpose: StatusPurpose) -> str:
    """Where the list of ``purpose`` is published: ``{base}/revocation`` and ``{base}/suspension``."""
    return f"{base_url.rstrip('/')}/{purpose}"


def status_entries(base_url: str, index: int) -> list[StatusEntry]:
    return [StatusEntry(purpose, index, status_list_url(base_url, purpose)) for purpose in STATUS_PURPOSES]


def status_list_credential(
    status_list: BitstringStatusList,
    *,
    url: str,
    purpose: StatusPurpose,
    issuer: str,
    valid_from: datetime,
    key: Ed25519PrivateKey,
    verification_method: str,
) -> dict[str, Any]:
    """The published ``BitstringStatusListCredential``, secured with ``eddsa-jcs-2022``."""
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": rfc3339(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": status_list.encode(),
        },
    }
    return add_eddsa_jcs_proof(credential, key=key, verification_method=verification_method, created=valid_from)


@dataclass(frozen=True)
class PublishedStatusList:
    """A status list read from its credential (the proof is checked by the verifier, not here)."""

    url: str
    purpose: StatusPurpose
    issuer: str
    bits: BitstringStatusList


def read_status_list_credential(credential: Mapping[str, Any]) -> PublishedStatusList | Refusal:
    """The list inside a ``BitstringStatusListCredential``, or why it cannot be read."""
    subject = credential.get("credentialSubject")
    types = credential.get("type")
    if not isinstance(subject, Mapping) or not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        return Refusal("", "status_list_malformed", "不是 BitstringStatusListCredential")
    purpose = subject.get("statusPurpose")
    encoded = subject.get("encodedList")
    url = credential.get("id")
    issuer = credential.get("issuer")
    if purpose not in STATUS_PURPOSES or not isinstance(encoded, str) or not isinstance(url, str):
        return Refusal("", "status_list_malformed", "状态列表缺少 id、statusPurpose 或 encodedList")
    if not isinstance(issuer, str):
        return Refusal("", "status_list_malformed", "状态列表缺少签发者（issuer）")
    bits = decode_status_list(encoded)
    if isinstance(bits, Refusal):
        return bits
    return PublishedStatusList(url, purpose, issuer, bits)


# --- a certificate's status and its changes ---------------------------------------------------

Action = Literal["revoke", "suspend", "reinstate", "supersede"]
REVOKE_CATEGORIES = ("integrity_record", "reexamination", "falsification", "issued_in_error", "hr_decision")
SUSPEND_CATEGORIES = ("under_investigation", "holder_request", "hr_decision")
REINSTATE_CATEGORIES = ("investigation_closed", "holder_request", "hr_decision")
_MOVES: dict[Action, tuple[tuple[str, ...], str]] = {
    "revoke": (("valid", "suspended"), "revoked"),
    "suspend": (("valid",), "suspended"),
    "reinstate": (("suspended",), "valid"),
    "supersede": (("valid",), "superseded"),
}
# Which list each resulting status sets (revocation is permanent; suspension is cleared on reinstatement).
LIST_BITS: dict[str, dict[StatusPurpose, bool]] = {
    "revoked": {"revocation": True, "suspension": False},
    "superseded": {"revocation": True},
    "suspended": {"suspension": True},
    "valid": {"suspension": False},
}


def status_move(current: str, action: Action) -> str | Refusal:
    """The status a certificate in ``current`` takes on ``action``, or why it cannot (IN-1 revocation is final)."""
    allowed, target = _MOVES[action]
    if current not in allowed:
        labels = {"valid": "有效", "suspended": "已暂停", "revoked": "已撤销", "superseded": "已被取代"}
        return Refusal("", "status_transition", f"证书{labels.get(current, current)}，不能{_ACTION_NAMES[action]}")
    return target


_ACTION_NAMES: dict[Action, str] = {"revoke": "撤销", "suspend": "暂停", "reinstate": "恢复", "supersede": "取代"}


def published_size(highest_index: int) -> int:
    """A list's published length: at least :data:`MIN_ENTRIES`, in steps of it, covering ``highest_index``."""
    blocks = max(1, (highest_index + MIN_ENTRIES) // MIN_ENTRIES)
    return blocks * MIN_ENTRIES
