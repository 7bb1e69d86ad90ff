"""The keys of the open rounds' envelopes, held only in this process's memory (docs/secret-ballot.md).

A round's key is drawn when the round opens and dropped once its closing has committed. It is never
written to the database, a file, a log or an event: without it the envelopes left in dead tuples,
WAL or backups stay unreadable, so they can never be matched to the participations written beside
them.
"""

from __future__ import annotations

import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class BallotKeyring:
    """Round id → AES-256-GCM key, in memory only."""

    def __init__(self) -> None:
        self._keys: dict[uuid.UUID, bytes] = {}

    def create(self, round_id: uuid.UUID) -> None:
        self._keys[round_id] = AESGCM.generate_key(bit_length=256)

    def has(self, round_id: uuid.UUID) -> bool:
        return round_id in self._keys

    def drop(self, round_id: uuid.UUID) -> None:
        self._keys.pop(round_id, None)

    def seal(self, round_id: uuid.UUID, plaintext: bytes) -> tuple[bytes, bytes]:
        """``(nonce, ciphertext)`` of ``plaintext`` under the round's key, bound to the round id."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce, AESGCM(self._keys[round_id]).encrypt(nonce, plaintext, round_id.bytes)

    def open(self, round_id: uuid.UUID, nonce: bytes, ciphertext: bytes) -> bytes:
        return AESGCM(self._keys[round_id]).decrypt(nonce, ciphertext, round_id.bytes)
