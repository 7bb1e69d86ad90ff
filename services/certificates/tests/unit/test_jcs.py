"""``jcs``, the fast JCS (RFC 8785) both signatures cover: byte for byte what ``rfc8785`` writes, errors included."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng_certificates.signing.domain import jcs

_text = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "欧阳明华", 'a"b\\c', "\x00\x08\t\n\x0b\x0c\r\x1f\x7f", "\u2028\u2029", "😀𝄞", "\ufb33", "é"]
)
_scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _text
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_text, inner, max_size=5),
    max_leaves=30,
)


@given(_json)
@settings(max_examples=400, deadline=None)
def test_jcs_writes_the_bytes_of_rfc8785(value: Any) -> None:
    assert jcs(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Worked out by hand from RFC 8785 §3.2: names by UTF-16 code units (U+1D11E is D834 DD1E,
        # before U+FB33), no blanks, UTF-8, the two-character escapes and lowercase \u00xx.
        (
            {"\ufb33": 1, "\U0001d11e": 2, "b": [True, None], "a": "x\n\x01"},
            '{"a":"x\\n\\u0001","b":[true,null],"𝄞":2,"דּ":1}',
        ),
        ({"n": 2**53 - 1, "m": -(2**53) + 1, "t": ("a",)}, '{"m":-9007199254740991,"n":9007199254740991,"t":["a"]}'),
        ({"f": 1.5, "e": 1e21, "z": -0.0}, '{"e":1e+21,"f":1.5,"z":0}'),
    ],
)
def test_jcs_of_the_cases_where_python_json_differs(value: Any, expected: str) -> None:
    assert jcs(value) == expected.encode()


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"n": 2**53}, rfc8785.IntegerDomainError),
        ([float("nan")], rfc8785.FloatDomainError),
        ({"s": "\ud800"}, rfc8785.CanonicalizationError),
        ({1: "a"}, rfc8785.CanonicalizationError),
    ],
)
def test_jcs_refuses_what_rfc8785_refuses(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        jcs(value)
