"""Signing keys and the two signature schemes of a certificate (电子证书签名), with no I/O.

* **SM2 with SM3** (GB/T 32918, GB/T 32905; signer id ``1234567812345678``, GB/T 35276): signed
  with ``tongsuopy`` (Tongsuo, a C OpenSSL fork), whose nonce comes from OpenSSL's RNG. Never
  with ``gmssl``: its nonce comes from ``random.choice``, and a predictable nonce gives the
  private key away. Signatures are DER ``SEQUENCE {r, s}``.
* **Ed25519** as a W3C Data Integrity proof, cryptosuite ``eddsa-jcs-2022``: the proof
  configuration and the document are each canonicalised with JCS (RFC 8785) and hashed with
  SHA-256; the Ed25519 signature of the two hashes is the ``proofValue`` in base58btc multibase.

Keys carry an id and a validity period (the period in which the key may sign). Verification by
key id accepts a key whose period covered the moment of signing, whatever the date today, so a
rotation never invalidates certificates signed before it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization as crypto_serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from tongsuopy.crypto import exceptions as tongsuo_exceptions
from tongsuopy.crypto import hashes as tongsuo_hashes
from tongsuopy.crypto import serialization as tongsuo_serialization
from tongsuopy.crypto.asymciphers import ec

from zhicheng_common.refusals import Refusal

SM2_USER_ID = "1234567812345678"
"""The default signer id of GB/T 35276 / GM/T 0009; tongsuopy always uses it in Z_A."""

CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_TYPE = "DataIntegrityProof"

# Multicodec prefixes (varint) of an Ed25519 public and private key in multibase (Multikey).
_ED25519_PUB_PREFIX = b"\xed\x01"
_ED25519_PRIV_PREFIX = b"\x80\x26"

# tongsuopy's key classes are untyped (no stubs): Any stands for its SM2 private/public key.
Sm2PrivateKey = Any
Sm2PublicKey = Any


class Algorithm(StrEnum):
    ED25519 = "Ed25519"
    SM2 = "SM2"


@dataclass(frozen=True)
class Validity:
    """When a key may sign: ``not_before`` ≤ t < ``not_after`` (``None``: no end yet)."""

    not_before: datetime
    not_after: datetime | None = None

    def covers(self, instant: datetime) -> bool:
        return self.not_before <= instant and (self.not_after is None or instant < self.not_after)


@dataclass(frozen=True)
class PublishedKey:
    """A public key as verifiers see it: id, algorithm, key and signing period."""

    key_id: str
    algorithm: Algorithm
    public_key: Ed25519PublicKey | Sm2PublicKey
    validity: Validity


@dataclass(frozen=True)
class SigningKey:
    """A private key from the key ring, with its id and signing period."""

    key_id: str
    algorithm: Algorithm
    private_key: Ed25519PrivateKey | Sm2PrivateKey
    validity: Validity

    def published(self) -> PublishedKey:
        return PublishedKey(self.key_id, self.algorithm, self.private_key.public_key(), self.validity)


def signing_key_at(keys: Sequence[SigningKey], algorithm: Algorithm, instant: datetime) -> SigningKey | Refusal:
    """The key of ``algorithm`` that signs at ``instant``: of those valid then, the one that started last."""
    valid = [k for k in keys if k.algorithm is algorithm and k.validity.covers(instant)]
    if not valid:
        return Refusal("", "no_signing_key", f"没有在 {instant.isoformat()} 有效的 {algorithm.value} 签名密钥")
    return max(valid, key=lambda k: k.validity.not_before)


def key_for_verification(
    keys: Sequence[PublishedKey], *, key_id: str, algorithm: Algorithm, signed_at: datetime
) -> PublishedKey | Refusal:
    """The published key ``key_id`` of ``algorithm``, refused unless its signing period covered ``signed_at``."""
    for key in keys:
        if key.key_id == key_id and key.algorithm is algorithm:
            if key.validity.covers(signed_at):
                return key
            return Refusal(
                "",
                "key_not_valid_at_issue",
                f"签名密钥 {key_id} 在签发时间 {signed_at.isoformat()} 不在有效期内（{_period_text(key.validity)}）",
            )
    return Refusal("", "unknown_key", f"未公布的 {algorithm.value} 签名密钥：{key_id}")


def _period_text(validity: Validity) -> str:
    end = validity.not_after.isoformat() if validity.not_after else "至今"
    return f"{validity.not_before.isoformat()} 至 {end}"


# --- JCS (RFC 8785) ---------------------------------------------------------------------------

# What makes Python's JSON differ from JCS: a lone surrogate (JCS refuses it) and, in a member
# name, anything beyond the BMP (JCS orders names by UTF-16 code units, Python by code points).
_SURROGATE = re.compile("[\ud800-\udfff]")
_BEYOND_BMP = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")
_JCS_INT_MAX = 2**53 - 1
_JSON_SORTED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode


def _json_is_jcs(value: object) -> bool:
    """Whether sorted compact ``json`` writes ``value`` exactly as RFC 8785 does.

    True for dicts with string names within the BMP, lists, strings without a lone surrogate,
    integers within ±(2^53 − 1), booleans and ``None``; anything else (floats, other types) is not.
    Python escapes the same characters as JCS (``"``, ``\\``, U+0000–U+001F, with the same short
    forms and the same lowercase hex escapes), so for these values the two agree byte for byte.
    """
    if type(value) is str:
        return value.isascii() or _SURROGATE.search(value) is None
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or _BEYOND_BMP.search(key) is None):
                return False
            if not _json_is_jcs(item):
                return False
        return True
    if type(value) is list or type(value) is tuple:
        return all(_json_is_jcs(item) for item in value)
    if type(value) is int:
        return -_JCS_INT_MAX <= value <= _JCS_INT_MAX
    return value is None or type(value) is bool


def jcs(value: Any) -> bytes:
    """JCS (RFC 8785) of ``value``: the bytes (and errors) of ``rfc8785.dumps``, several times faster.

    A certificate's documents hold only strings, integers, lists and objects, which Python's C JSON
    encoder writes exactly as JCS does; any value it might write otherwise (floats, names beyond the
    BMP, other types) goes to ``rfc8785``.
    """
    if _json_is_jcs(value):
        return _JSON_SORTED(value).encode()
    return rfc8785.dumps(value)


# --- SM2 with SM3 ------------------------------------------------------------------------------


def generate_sm2_key() -> Sm2PrivateKey:
    """A new SM2 private key from OpenSSL's RNG (for the embedded default and tests)."""
    return ec.generate_private_key(ec.SM2())


def load_sm2_private_key(pem: bytes) -> Sm2PrivateKey:
    """Read a PKCS#8 PEM SM2 private key (the key ring's SM2 loader calls this).

    Raises:
        ValueError: The PEM is not an SM2 private key.
    """
    try:
        key = tongsuo_serialization.load_pem_private_key(pem, password=None)
    except tongsuo_exceptions.UnsupportedAlgorithm as error:
        raise ValueError("not an SM2 private key") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SM2):
        raise ValueError("not an SM2 private key")
    return key


def load_sm2_public_key(pem: bytes) -> Sm2PublicKey:
    """Read a SubjectPublicKeyInfo PEM SM2 public key.

    Raises:
        ValueError: The PEM is not an SM2 public key.
    """
    try:
        key = tongsuo_serialization.load_pem_public_key(pem)
    except tongsuo_exceptions.UnsupportedAlgorithm as error:
        raise ValueError("not an SM2 public key") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SM2):
        raise ValueError("not an SM2 public key")
    return key


def sm2_private_key_pem(key: Sm2PrivateKey) -> bytes:
    pem: bytes = key.private_bytes(
        tongsuo_serialization.Encoding.PEM,
        tongsuo_serialization.PrivateFormat.PKCS8,
        tongsuo_serialization.NoEncryption(),
    )
    return pem


def sm2_public_key_pem(key: Sm2PublicKey) -> str:
    pem: bytes = key.public_bytes(
        tongsuo_serialization.Encoding.PEM, tongsuo_serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


def sm2_public_key_point(key: Sm2PublicKey) -> bytes:
    """The uncompressed point ``04 ‖ x ‖ y`` (65 bytes), as other SM2 libraries take it."""
    point: bytes = key.public_bytes(
        tongsuo_serialization.Encoding.X962, tongsuo_serialization.PublicFormat.UncompressedPoint
    )
    return point


def sm2_sign(key: Sm2PrivateKey, message: bytes) -> bytes:
    """SM2 signature (DER) of ``message``: e = SM3(Z_A ‖ M), Z_A over the default signer id.

    The nonce k is drawn inside Tongsuo by ``BN_priv_rand_range``, i.e. from OpenSSL's DRBG,
    which is seeded from the operating system (getrandom); nothing here passes or derives a k.
    """
    signature: bytes = key.sign(message, ec.ECDSA(tongsuo_hashes.SM3()))
    return signature


def sm2_sign_each(key: Sm2PrivateKey, messages: Sequence[bytes]) -> list[bytes]:
    """:func:`sm2_sign` of each message, in order (the signing itself runs in C without the GIL)."""
    return [sm2_sign(key, message) for message in messages]


def sm2_verify(key: Sm2PublicKey, message: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, message, ec.ECDSA(tongsuo_hashes.SM3()))
    except (tongsuo_exceptions.InvalidSignature, ValueError):
        return False
    return True


# --- Ed25519: multibase keys and eddsa-jcs-2022 proofs ---------------------------------------


_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_PAIRS = [high + low for high in _B58_ALPHABET for low in _B58_ALPHABET]  # the 58² two-digit texts
_B58_CHUNK = 58**10


def b58encode(raw: bytes) -> str:
    """Base58 (Bitcoin alphabet) of ``raw``: the text of ``base58.b58encode``, about twice as fast.

    The number is cut into ten-digit chunks (one big division per chunk, not per digit), each
    written two digits at a time; a leading zero byte is a leading ``1``, as in Bitcoin's.
    """
    number = int.from_bytes(raw, "big")
    pairs: list[str] = []
    while number:
        number, chunk = divmod(number, _B58_CHUNK)
        for _ in range(5):
            chunk, pair = divmod(chunk, 58 * 58)
            pairs.append(_B58_PAIRS[pair])
    zeros = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(pairs)).lstrip("1")


def ed25519_multibase(key: Ed25519PublicKey) -> str:
    """``z6Mk…``: base58btc of the multicodec ed25519-pub prefix and the raw key (Multikey)."""
    raw = key.public_bytes(crypto_serialization.Encoding.Raw, crypto_serialization.PublicFormat.Raw)
    return "z" + b58encode(_ED25519_PUB_PREFIX + raw)


def ed25519_from_multibase(value: str) -> Ed25519PublicKey | None:
    """The public key of a ``z6Mk…`` Multikey value, or ``None`` when it is not one."""
    raw = _multibase_decode(value)
    if raw is None or len(raw) != 34 or not raw.startswith(_ED25519_PUB_PREFIX):
        return None
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def ed25519_private_from_multibase(value: str) -> Ed25519PrivateKey | None:
    """The private key of a ``z3u2…`` Multikey secret (multicodec ed25519-priv), or ``None``."""
    raw = _multibase_decode(value)
    if raw is None or len(raw) != 34 or not raw.startswith(_ED25519_PRIV_PREFIX):
        return None
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


def _multibase_decode(value: str) -> bytes | None:
    if not value.startswith("z"):
        return None
    try:
        return base58.b58decode(value[1:])
    except ValueError:
        return None


def b64url_encode(raw: bytes) -> str:
    """Unpadded base64url (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url strictly (any other character is an error, unlike the stdlib default).

    Raises:
        ValueError: ``text`` is not base64url.
    """
    if "+" in text or "/" in text or "=" in text:
        raise ValueError("not unpadded base64url")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def rfc3339(instant: datetime) -> str:
    """``2026-12-01T02:00:00Z``: UTC, whole seconds (the XML Schema dateTimeStamp VC 2.0 uses)."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no place in a signed document")
    return instant.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: object) -> datetime | None:
    """The instant of an RFC 3339 string with a time zone, or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


def _eddsa_jcs_hash(proof_config: Mapping[str, Any], canonical_document: bytes) -> bytes:
    # eddsa-jcs-2022 §3.3.4 Hashing: SHA-256(JCS(proof config)) ‖ SHA-256(JCS(document)).
    return hashlib.sha256(jcs(proof_config)).digest() + hashlib.sha256(canonical_document).digest()


def add_eddsa_jcs_proof(
    document: Mapping[str, Any],
    *,
    key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
    proof_purpose: str = "assertionMethod",
    canonical_document: bytes | None = None,
) -> dict[str, Any]:
    """Return ``document`` secured with an ``eddsa-jcs-2022`` proof (W3C vc-di-eddsa §3.3.1).

    ``created`` may be given as the exact string a test vector carries. ``canonical_document``,
    when the caller already has it, is JCS of ``document`` without its proof (not recomputed).
    """
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created if isinstance(created, str) else rfc3339(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in unsecured:
        proof["@context"] = unsecured["@context"]
    canonical = jcs(unsecured) if canonical_document is None else canonical_document
    signature = key.sign(_eddsa_jcs_hash(proof, canonical))
    proof["proofValue"] = "z" + b58encode(signature)
    return {**unsecured, "proof": proof}


def eddsa_jcs_proof(secured: Mapping[str, Any]) -> Mapping[str, Any] | Refusal:
    """The single ``eddsa-jcs-2022`` proof of a secured document, or why there is none."""
    proof = secured.get("proof")
    if not isinstance(proof, Mapping):
        return Refusal("", "proof_missing", "文档没有（唯一的）数据完整性证明（proof）")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return Refusal("", "proof_unsupported", f"证明类型应为 {PROOF_TYPE} / {CRYPTOSUITE}")
    if not isinstance(proof.get("verificationMethod"), str) or not isinstance(proof.get("proofValue"), str):
        return Refusal("", "proof_malformed", "证明缺少 verificationMethod 或 proofValue")
    return proof


def verify_eddsa_jcs_proof(secured: Mapping[str, Any], key: Ed25519PublicKey) -> Refusal | None:
    """Check an ``eddsa-jcs-2022`` proof with ``key`` (W3C vc-di-eddsa §3.3.2); ``None`` when it verifies."""
    proof = eddsa_jcs_proof(secured)
    if isinstance(proof, Refusal):
        return proof
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    if "@context" in options:
        context = options["@context"]
        doc_context = unsecured.get("@context")
        if not isinstance(context, list) or not isinstance(doc_context, list) or doc_context[: len(context)] != context:
            return Refusal("", "proof_context_mismatch", "证明的 @context 与文档的 @context 不一致")
        unsecured["@context"] = context
    if parse_rfc3339(options.get("created")) is None:
        return Refusal("", "proof_malformed", "证明的 created 不是有效的时间")
    signature = _multibase_decode(str(proof["proofValue"]))
    if signature is None or len(signature) != 64:
        return Refusal("", "proof_malformed", "proofValue 不是 base58btc 编码的 Ed25519 签名")
    try:
        key.verify(signature, _eddsa_jcs_hash(options, jcs(unsecured)))
    except InvalidSignature:
        return Refusal("", "ed25519_signature_invalid", "Ed25519 签名验证失败：文档或证明已被改动，或密钥不符")
    return None


# --- published key documents -----------------------------------------------------------------


def did_web(host: str) -> str:
    """``did:web:certs.example.cn`` for a host (a port's ``:`` becomes ``%3A``, as did:web says)."""
    return "did:web:" + host.replace(":", "%3A")


def _validity_members(validity: Validity) -> dict[str, str]:
    # Not standard JWK / verification-method members: verifiers that do not know them ignore
    # them; ours read them to check a key's signing period against the issue time.
    members = {"validFrom": rfc3339(validity.not_before)}
    if validity.not_after is not None:
        members["validUntil"] = rfc3339(validity.not_after)
    return members


def jwks(keys: Sequence[PublishedKey]) -> dict[str, Any]:
    """The JWKS (RFC 7517/8037) of the Ed25519 keys, each with its signing period."""
    out = []
    for key in keys:
        if key.algorithm is not Algorithm.ED25519:
            continue
        raw = key.public_key.public_bytes(crypto_serialization.Encoding.Raw, crypto_serialization.PublicFormat.Raw)
        x = b64url_encode(raw)
        out.append(
            {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": key.key_id, "alg": "EdDSA", "use": "sig"}
            | _validity_members(key.validity)
        )
    return {"keys": out}


def did_document(did: str, keys: Sequence[PublishedKey]) -> dict[str, Any]:
    """The DID document served at ``/.well-known/did.json`` for ``did:web``: every Ed25519 key as a Multikey.

    Retired keys stay listed (and in ``assertionMethod``): certificates they signed must still verify.
    """
    methods = []
    for key in keys:
        if key.algorithm is not Algorithm.ED25519:
            continue
        methods.append(
            {
                "id": f"{did}#{key.key_id}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": ed25519_multibase(key.public_key),
            }
            | _validity_members(key.validity)
        )
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def sm2_key_list(keys: Sequence[PublishedKey]) -> dict[str, Any]:
    """The SM2 public keys: PEM (SubjectPublicKeyInfo) and the 04‖x‖y point, signer id and signing period."""
    out = []
    for key in keys:
        if key.algorithm is not Algorithm.SM2:
            continue
        out.append(
            {
                "kid": key.key_id,
                "algorithm": "SM2-SM3",
                "userId": SM2_USER_ID,
                "publicKeyPem": sm2_public_key_pem(key.public_key),
                "publicKeyHex": sm2_public_key_point(key.public_key).hex(),
            }
            | _validity_members(key.validity)
        )
    return {"keys": out}


def parse_published_keys(document: Mapping[str, Any]) -> tuple[list[PublishedKey], list[Refusal]]:
    """Read keys from a JWKS, an SM2 key list or a DID document (or an object holding several).

    Entries that cannot be read are returned as refusals and left out; the rest is still usable.
    """
    keys: list[PublishedKey] = []
    problems: list[Refusal] = []
    parts: list[Mapping[str, Any]] = [document]
    parts += [v for k, v in document.items() if k in ("jwks", "sm2", "did") and isinstance(v, Mapping)]
    for part in parts:
        entries = part.get("keys")
        if isinstance(entries, list):
            for entry in entries:
                _read_entry(entry, keys, problems)
        methods = part.get("verificationMethod")
        if isinstance(methods, list):
            for method in methods:
                _read_method(method, keys, problems)
    return keys, problems


def _read_validity(entry: Mapping[str, Any]) -> Validity | None:
    start = parse_rfc3339(entry.get("validFrom"))
    end = parse_rfc3339(entry.get("validUntil")) if "validUntil" in entry else None
    if start is None or ("validUntil" in entry and end is None):
        return None
    return Validity(start, end)


def _read_entry(entry: object, keys: list[PublishedKey], problems: list[Refusal]) -> None:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("kid"), str):
        problems.append(Refusal("", "key_malformed", "密钥条目缺少 kid"))
        return
    kid = entry["kid"]
    validity = _read_validity(entry)
    if validity is None:
        problems.append(Refusal("", "key_malformed", f"密钥 {kid} 缺少有效期（validFrom/validUntil）"))
        return
    if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519" and isinstance(entry.get("x"), str):
        try:
            raw = b64url_decode(entry["x"])
            keys.append(PublishedKey(kid, Algorithm.ED25519, Ed25519PublicKey.from_public_bytes(raw), validity))
        except ValueError:
            problems.append(Refusal("", "key_malformed", f"密钥 {kid} 的 x 不是 Ed25519 公钥"))
        return
    if entry.get("algorithm") == "SM2-SM3" and isinstance(entry.get("publicKeyPem"), str):
        if entry.get("userId", SM2_USER_ID) != SM2_USER_ID:
            problems.append(Refusal("", "key_unsupported", f"密钥 {kid} 的签名者标识不是 {SM2_USER_ID}"))
            return
        try:
            keys.append(PublishedKey(kid, Algorithm.SM2, load_sm2_public_key(entry["publicKeyPem"].encode()), validity))
        except ValueError:
            problems.append(Refusal("", "key_malformed", f"密钥 {kid} 不是 SM2 公钥"))
        return
    problems.append(Refusal("", "key_unsupported", f"密钥 {kid} 既不是 Ed25519 JWK，也不是 SM2 公钥"))


def _read_method(method: object, keys: list[PublishedKey], problems: list[Refusal]) -> None:
    if not isinstance(method, Mapping) or not isinstance(method.get("id"), str) or "#" not in method["id"]:
        problems.append(Refusal("", "key_malformed", "验证方法缺少带 # 的 id"))
        return
    kid = method["id"].split("#", 1)[1]
    validity = _read_validity(method)
    public = ed25519_from_multibase(str(method.get("publicKeyMultibase", "")))
    if validity is None or public is None:
        problems.append(Refusal("", "key_malformed", f"验证方法 {kid} 不是带有效期的 Ed25519 Multikey"))
        return
    keys.append(PublishedKey(kid, Algorithm.ED25519, public, validity))
