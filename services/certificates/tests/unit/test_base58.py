"""``b58encode``, the base58btc of proofs and Multikeys: the text of the ``base58`` package, byte for byte."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhicheng_certificates.signing.domain import b58encode


@given(st.binary(max_size=80))
def test_b58encode_writes_the_text_of_base58(raw: bytes) -> None:
    assert b58encode(raw) == base58.b58encode(raw).decode()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Worked by hand: 0x00 is "1"; 57 is "z"; 58 is "21"; each leading zero byte one more "1".
        (b"", ""),
        (b"\x00", "1"),
        (b"\x39", "z"),
        (b"\x3a", "21"),
        (b"\x00\x00\x3a", "1121"),
    ],
)
def test_b58encode_of_small_numbers_and_leading_zeros(raw: bytes, expected: str) -> None:
    assert b58encode(raw) == expected
