"""Independent checks of a stored certificate's two signatures: gmalg and the openssl command for SM2
(GB/T 32918, signer id 1234567812345678), the openssl command for Ed25519 (eddsa-jcs-2022)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path
from typing import Any

import gmalg
import rfc8785
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

SM2_USER_ID = "1234567812345678"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b58(text: str) -> bytes:
    value = 0
    for char in text:
        value = value * 58 + B58.index(char)
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + raw


def _openssl(tmp: Path, *args: str) -> bool:
    result = subprocess.run(["openssl", *args], cwd=tmp, capture_output=True, text=True, check=False)
    return result.returncode == 0


def sm2_verifies(tmp: Path, document: dict[str, Any], sm2_key: dict[str, Any]) -> tuple[bool, bool]:
    """(gmalg, openssl) verdicts on the SM2 signature over JCS of the credential without its proof."""
    credential = {k: v for k, v in document["credential"].items() if k != "proof"}
    message = rfc8785.dumps(credential)
    signature = _b64url(document["sm2Signature"]["signatureValue"])
    r, s = decode_dss_signature(signature)
    by_gmalg = gmalg.SM2(uid=SM2_USER_ID.encode(), pk=bytes.fromhex(sm2_key["publicKeyHex"])).verify(
        message, r.to_bytes(32, "big"), s.to_bytes(32, "big")
    )
    (tmp / "sm2.pem").write_text(sm2_key["publicKeyPem"])
    (tmp / "msg").write_bytes(message)
    (tmp / "sig.der").write_bytes(signature)
    by_openssl = _openssl(
        tmp, "dgst", "-sm3", "-verify", "sm2.pem", "-sigopt", f"distid:{SM2_USER_ID}", "-signature", "sig.der", "msg"
    )
    return bool(by_gmalg), by_openssl


def ed25519_verifies(tmp: Path, document: dict[str, Any], jwk: dict[str, Any]) -> bool:
    """openssl's verdict on the eddsa-jcs-2022 proof: Ed25519 over SHA-256(JCS(config)) ‖ SHA-256(JCS(doc))."""
    credential = dict(document["credential"])
    proof = dict(credential.pop("proof"))
    signature = _b58(proof.pop("proofValue")[1:])
    data = hashlib.sha256(rfc8785.dumps(proof)).digest() + hashlib.sha256(rfc8785.dumps(credential)).digest()
    # SubjectPublicKeyInfo of an Ed25519 key: the fixed 12-byte prefix and the 32 raw bytes (RFC 8410).
    der = bytes.fromhex("302a300506032b6570032100") + _b64url(jwk["x"])
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n"
    (tmp / "ed.pem").write_text(pem)
    (tmp / "data").write_bytes(data)
    (tmp / "ed.sig").write_bytes(signature)
    return _openssl(
        tmp, "pkeyutl", "-verify", "-pubin", "-inkey", "ed.pem", "-rawin", "-in", "data", "-sigfile", "ed.sig"
    )
