"""SM2 with SM3 (GB/T 32918): the GM/T 0003.5 vector, independent verifiers, and where the nonce comes from."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import gmalg
import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from tongsuopy.crypto.asymciphers import ec

from zhicheng_certificates.certificate.domain import CertificateContent, canonical_bytes
from zhicheng_certificates.signing.domain import (
    SM2_USER_ID,
    SigningKey,
    generate_sm2_key,
    load_sm2_private_key,
    load_sm2_public_key,
    sm2_private_key_pem,
    sm2_public_key_pem,
    sm2_public_key_point,
    sm2_sign,
    sm2_verify,
)

# GM/T 0003.5-2012 Annex A (also GB/T 32918.5-2017 Annex A): the recommended 256-bit curve,
# signer id "1234567812345678", message "message digest", and the fixed k of the example.
ANNEX_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
ANNEX_X = 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
ANNEX_Y = 0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13
ANNEX_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
ANNEX_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
ANNEX_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
ANNEX_MESSAGE = b"message digest"


def _gmalg_verifier(public_point: bytes) -> gmalg.SM2:
    return gmalg.SM2(uid=SM2_USER_ID.encode(), pk=public_point)


def test_gmt_0003_5_annex_a_vector_reproduces_with_gmalg_and_the_fixed_k() -> None:
    signer = gmalg.SM2(
        sk=ANNEX_D.to_bytes(32, "big"),
        uid=SM2_USER_ID.encode(),
        pk=b"\x04" + ANNEX_X.to_bytes(32, "big") + ANNEX_Y.to_bytes(32, "big"),
        rnd_fn=lambda _bits: ANNEX_K,
    )
    r, s = signer.sign(ANNEX_MESSAGE)
    assert (int.from_bytes(r, "big"), int.from_bytes(s, "big")) == (ANNEX_R, ANNEX_S)


def test_tongsuopy_verifies_the_annex_a_signature_and_derives_its_public_key() -> None:
    public = ec.EllipticCurvePublicNumbers(ANNEX_X, ANNEX_Y, ec.SM2()).public_key()
    assert sm2_verify(public, ANNEX_MESSAGE, encode_dss_signature(ANNEX_R, ANNEX_S))
    assert not sm2_verify(public, b"message digesT", encode_dss_signature(ANNEX_R, ANNEX_S))
    private = ec.derive_private_key(ANNEX_D, ec.SM2())
    numbers = private.public_key().public_numbers()
    assert (numbers.x, numbers.y) == (ANNEX_X, ANNEX_Y)
    # Our signature with the Annex private key verifies with gmalg built from the Annex public key.
    r, s = decode_dss_signature(sm2_sign(private, ANNEX_MESSAGE))
    point = b"\x04" + ANNEX_X.to_bytes(32, "big") + ANNEX_Y.to_bytes(32, "big")
    assert _gmalg_verifier(point).verify(ANNEX_MESSAGE, r.to_bytes(32, "big"), s.to_bytes(32, "big"))


def _openssl_verifies(tmp_path: Path, public_pem: str, message: bytes, signature: bytes) -> bool:
    (tmp_path / "pub.pem").write_text(public_pem)
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig.der").write_bytes(signature)
    result = subprocess.run(
        [
            "openssl", "dgst", "-sm3", "-verify", "pub.pem",
            "-sigopt", f"distid:{SM2_USER_ID}", "-signature", "sig.der", "msg",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    return result.returncode == 0 and "Verified OK" in result.stdout


def test_every_certificate_signature_verifies_with_gmalg_and_the_openssl_command(
    tmp_path: Path, sm2_key: SigningKey, content: CertificateContent
) -> None:
    public = sm2_key.private_key.public_key()
    message = canonical_bytes(content)
    for _ in range(3):
        signature = sm2_sign(sm2_key.private_key, message)
        r, s = decode_dss_signature(signature)
        assert _gmalg_verifier(sm2_public_key_point(public)).verify(
            message, r.to_bytes(32, "big"), s.to_bytes(32, "big")
        )
        assert _openssl_verifies(tmp_path, sm2_public_key_pem(public), message, signature)
    # The independent checks can fail: a changed message is refused by both.
    assert not _openssl_verifies(tmp_path, sm2_public_key_pem(public), message + b" ", signature)
    assert not _gmalg_verifier(sm2_public_key_point(public)).verify(
        message + b" ", r.to_bytes(32, "big"), s.to_bytes(32, "big")
    )


def test_a_gmalg_signature_verifies_with_our_code() -> None:
    key = generate_sm2_key()
    d = key.private_numbers().private_value
    point = sm2_public_key_point(key.public_key())
    r, s = gmalg.SM2(sk=d.to_bytes(32, "big"), uid=SM2_USER_ID.encode(), pk=point).sign(b"zhicheng")
    signature = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
    assert sm2_verify(key.public_key(), b"zhicheng", signature)


def test_two_signatures_of_the_same_message_differ(sm2_key: SigningKey) -> None:
    signatures = {sm2_sign(sm2_key.private_key, b"same message") for _ in range(5)}
    assert len(signatures) == 5
    assert all(sm2_verify(sm2_key.private_key.public_key(), b"same message", s) for s in signatures)


def test_the_nonce_does_not_come_from_pythons_random_module(sm2_key: SigningKey) -> None:
    # gmssl's flaw: its nonce is random.choice, so re-seeding `random` replays the nonce (and two
    # signatures with one nonce give the private key away). Here the same seed gives different
    # signatures, so Python's `random` plays no part in our nonce.
    random.seed(1234)
    first = sm2_sign(sm2_key.private_key, b"m")
    random.seed(1234)
    second = sm2_sign(sm2_key.private_key, b"m")
    assert first != second


NONCE_PROBE = textwrap.dedent(
    """
    import cffi, json, sys
    from tongsuopy.backends.tongsuo.backend import backend
    from zhicheng_certificates.signing.domain import generate_sm2_key, sm2_sign

    key = generate_sm2_key()
    ours = cffi.FFI()
    # OpenSSL 1.1.1's struct rand_meth_st (Tongsuo is based on it): six function pointers.
    ours.cdef('''
        typedef struct {
            int (*seed)(const void *buf, int num);
            int (*bytes)(unsigned char *buf, int num);
            void (*cleanup)(void);
            int (*add)(const void *buf, int num, double randomness);
            int (*pseudorand)(unsigned char *buf, int num);
            int (*status)(void);
        } FIXED_RAND;
    ''')
    calls = []

    @ours.callback("int(unsigned char *, int)")
    def fixed_bytes(buf, num):
        calls.append(num)
        ours.memmove(buf, bytes([0x5A]) * num, num)
        return 1

    @ours.callback("int(void)")
    def status():
        return 1

    method = ours.new("FIXED_RAND *")
    method.bytes = fixed_bytes
    method.pseudorand = fixed_bytes
    method.status = status
    pointer = backend._ffi.cast("RAND_METHOD *", int(ours.cast("uintptr_t", method)))
    assert backend._lib.RAND_set_rand_method(pointer) == 1
    fixed = [sm2_sign(key, b"same message").hex() for _ in range(2)]
    backend._lib.RAND_set_rand_method(backend._ffi.NULL)  # back to OpenSSL's own DRBG
    normal = [sm2_sign(key, b"same message").hex() for _ in range(2)]
    print(json.dumps({"fixed": fixed, "normal": normal, "calls": len(calls), "status": backend._lib.RAND_status()}))
    """
)


def test_the_nonce_is_drawn_from_openssls_rng() -> None:
    """What this shows: our signing code takes its nonce from OpenSSL's RAND and from nothing else.

    In a child process (so no other test shares the patched library) OpenSSL's RAND method is
    replaced by one that always returns the same bytes. Then two signatures of the same message
    are identical, and the fake RNG was called: the only randomness in a signature is what
    OpenSSL's RAND gives (no Python-level source, no counter, no time). With the method set back
    to OpenSSL's own (a DRBG seeded from the operating system's getrandom, RAND_status = 1) the
    two signatures differ again. A signer whose nonce came from anywhere else (gmssl's
    random.choice, a derived k) would not become deterministic when only OpenSSL's RAND is fixed.
    """
    result = subprocess.run([sys.executable, "-c", NONCE_PROBE], capture_output=True, text=True, check=True)
    outcome = json.loads(result.stdout)
    assert outcome["fixed"][0] == outcome["fixed"][1]
    assert outcome["calls"] >= 2
    assert outcome["normal"][0] != outcome["normal"][1]
    assert outcome["status"] == 1


def test_sm2_keys_round_trip_through_pem_and_other_keys_are_refused() -> None:
    key = generate_sm2_key()
    again = load_sm2_private_key(sm2_private_key_pem(key))
    assert again.private_numbers().private_value == key.private_numbers().private_value
    public = load_sm2_public_key(sm2_public_key_pem(key.public_key()).encode())
    assert sm2_verify(public, b"x", sm2_sign(key, b"x"))
    assert isinstance(public.curve, ec.SM2)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    ed_pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="not an SM2 private key"):
        load_sm2_private_key(ed_pem)
    ed_public = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match="not an SM2 public key"):
        load_sm2_public_key(ed_public)
