"""W3C Bitstring Status List: bit order, encoding, limits, and a cross-check with Digital Bazaar's library."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
from pathlib import Path

import pytest

from zhicheng_certificates.status.domain import (
    MIN_ENTRIES,
    BitstringStatusList,
    decode_status_list,
    read_status_list_credential,
)
from zhicheng_common.refusals import Refusal

INDICES = (0, 1, 7, 8, 42, 43, 65_535, 131_071)


def test_index_0_is_the_most_significant_bit_of_byte_0() -> None:
    bits = BitstringStatusList()
    assert bits.size == MIN_ENTRIES == 131_072
    bits.set(0)
    bits.set(9)  # byte 1, second bit from the top: 0b0100_0000
    bits.set(131_071)  # the last bit of the last byte (16,383): 0b0000_0001
    raw = bits.to_bytes()
    assert len(raw) == 16_384
    assert (raw[0], raw[1], raw[16_383]) == (0x80, 0x40, 0x01)
    assert bits.get(0)
    assert bits.get(9)
    assert not bits.get(1)
    bits.set(9, False)
    assert bits.to_bytes()[1] == 0x00


def test_the_encoded_list_is_multibase_base64url_of_gzip() -> None:
    bits = BitstringStatusList()
    bits.set(42)
    encoded = bits.encode()
    assert encoded.startswith("u")
    assert "=" not in encoded
    assert "+" not in encoded
    assert "/" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-(len(encoded) - 1) % 4)))
    assert raw[5] == 0x20  # bit 42 = byte 5, bit 2 from the top
    assert encoded == bits.encode()  # mtime 0: the same bits always give the same text (stable ETag)
    decoded = decode_status_list(encoded)
    assert isinstance(decoded, BitstringStatusList)
    assert decoded.to_bytes() == bits.to_bytes()


def test_short_oversized_and_malformed_lists_are_refused() -> None:
    short = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024))).decode().rstrip("=")
    assert decode_status_list(short) == Refusal(
        "", "status_list_too_short", "状态列表应至少有 131072 个条目，实际 8192"
    )
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(17 * 1024 * 1024))).decode().rstrip("=")
    assert isinstance(refused := decode_status_list(bomb), Refusal)
    assert refused.code == "status_list_too_large"
    for text in ("z123", "u!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode()):
        refusal = decode_status_list(text)
        assert isinstance(refusal, Refusal), text
        assert refusal.code == "status_list_malformed", text
    with pytest.raises(ValueError, match="at least"):
        BitstringStatusList(1024)
    with pytest.raises(IndexError):
        BitstringStatusList().set(131_072)


def test_a_status_list_credential_reads_back(status_lists) -> None:  # type: ignore[no-untyped-def]
    revocation, _suspension = status_lists(revoked=(5,), suspended=(6,))
    assert revocation["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert revocation["credentialSubject"]["statusPurpose"] == "revocation"
    assert revocation["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    published = read_status_list_credential(revocation)
    assert not isinstance(published, Refusal)
    assert published.url.endswith("/status/revocation")
    assert published.bits.get(5)
    assert not published.bits.get(6)


NODE_DECODE = """
import {decodeList, createList} from '@digitalbazaar/vc-bitstring-status-list';
const [encodedList, indices, toSet] = JSON.parse(process.argv[2]);
const list = await decodeList({encodedList});
const theirs = await createList({length: 131072});
for (const i of toSet) theirs.setStatus(i, true);
console.log(JSON.stringify({
  length: list.length,
  bits: indices.map(i => list.getStatus(i)),
  encoded: await theirs.encode(),
}));
"""


def test_digital_bazaars_decoder_reads_our_list_and_we_read_theirs(npm_status_list: Path) -> None:
    ours = BitstringStatusList()
    for index in (0, 7, 42, 131_071):
        ours.set(index)
    script = npm_status_list / "check.mjs"
    script.write_text(NODE_DECODE)
    argument = json.dumps([ours.encode(), list(INDICES), [1, 8, 43, 65_535]])
    result = subprocess.run(
        ["node", str(script), argument], cwd=npm_status_list, capture_output=True, text=True, check=True, timeout=60
    )
    answer = json.loads(result.stdout)
    assert answer["length"] == 131_072
    # INDICES = 0, 1, 7, 8, 42, 43, 65535, 131071; we set 0, 7, 42 and 131071.
    assert answer["bits"] == [True, False, True, False, True, False, False, True]
    theirs = decode_status_list(answer["encoded"])
    assert isinstance(theirs, BitstringStatusList)
    assert [theirs.get(i) for i in INDICES] == [False, True, False, True, False, True, True, False]
