"""Identifiers at rest: encrypted, hashed for lookup, masked for display."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from zhicheng_common.pii import PiiCipher, mask_identifier, mask_name


def test_keyed_hash_is_stable_normalized_and_key_dependent() -> None:
    one, other = PiiCipher("key-one"), PiiCipher("key-two")
    assert one.keyed_hash("11010519491231002x") == one.keyed_hash(" 11010519491231002X ")
    assert one.keyed_hash("11010519491231002X") != other.keyed_hash("11010519491231002X")
    assert len(one.keyed_hash("x")) == 64


def test_encryption_round_trips_and_is_not_deterministic() -> None:
    cipher = PiiCipher("key-one")
    sealed = cipher.encrypt("11010519491231002X")
    assert "11010519491231002X" not in sealed
    assert cipher.decrypt(sealed) == "11010519491231002X"
    assert cipher.encrypt("11010519491231002X") != sealed


def test_decryption_with_another_key_fails() -> None:
    with pytest.raises(InvalidTag):
        PiiCipher("key-two").decrypt(PiiCipher("key-one").encrypt("11010519491231002X"))


def test_masks() -> None:
    assert mask_identifier("11010519491231002X") == "110105********002X"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳修文") == "欧***"
