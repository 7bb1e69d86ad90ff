"""Personal identifiers at rest: AES-GCM encryption plus a keyed hash for lookup (DESIGN.md §6).

Resident ID numbers and credit codes are never stored in clear. Every service derives the same
keyed hash from ``ZC_PII_KEY``, so one service's event can name a person by hash
(``subject_key``) and another service can match it without either holding the other's data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class PiiCipher:
    """Encrypts, decrypts, hashes and masks identifiers with keys derived from one secret."""

    def __init__(self, secret: str) -> None:
        root = secret.encode()
        self._hash_key = hmac.new(root, b"zhicheng/pii/hash/v1", hashlib.sha256).digest()
        self._aead = AESGCM(hmac.new(root, b"zhicheng/pii/encrypt/v1", hashlib.sha256).digest())

    def keyed_hash(self, value: str) -> str:
        """HMAC-SHA256 of the normalized value (upper-case, trimmed), hex: the lookup key."""
        return hmac.new(self._hash_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode(), b"zhicheng-pii")
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        raw = base64.urlsafe_b64decode(token.encode())
        return self._aead.decrypt(raw[:12], raw[12:], b"zhicheng-pii").decode()


def mask_identifier(value: str, *, keep_start: int = 6, keep_end: int = 4) -> str:
    """``140105********123X``: enough for a clerk to recognise, not enough to use."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_name(name: str) -> str:
    """``张*``, ``欧阳**``: the family name's first character and stars."""
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)
