"""A certificate's content, its one canonical form, its numbers, the signed document and the QR token.

Pure functions: keys, times and URLs are parameters. See ``docs/certificates.md`` for the shapes.

* **Canonical form**: the content is written as a W3C Verifiable Credential 2.0 without its proof
  (:func:`unsecured_credential`) and serialised with JCS (RFC 8785). The SM2 signature is over
  exactly these bytes; the ``eddsa-jcs-2022`` proof hashes the same bytes (with its proof
  configuration). Both signatures therefore cover every field, and a change of one byte
  anywhere in the credential breaks both.
* **Certificate number** (证书编号) ``PP-YYYY-SSSSSSS-C``: GB/T 2260 province code, issue year,
  a serial counted per province and year, and an ISO 7064 MOD 37,36 check character over the
  13 digits. Unique per province because (province, year, serial) is.
* **Licence identifier** (电子证照标识, GB/T 36904 style, NA-16)
  ``1.2.156.3005.2.{type}.{issuer credit code}.{serial}.{version}.{check}``; the check character
  is ISO 7064 MOD 37,36 over the letters and digits before it (dots left out).
* **QR token**: a COSE_Sign1 (RFC 9052) signed with Ed25519, written as one decimal number so
  that the QR code can carry it in numeric mode (see :func:`qr_segments`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, Literal, cast

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from zhicheng_certificates.signing.domain import (
    SM2_USER_ID,
    Algorithm,
    SigningKey,
    add_eddsa_jcs_proof,
    b64url_encode,
    jcs,
    parse_rfc3339,
    rfc3339,
    sm2_sign,
)
from zhicheng_certificates.status.domain import status_entries
from zhicheng_common.pii import mask_name
from zhicheng_common.refusals import Refusal
from zhicheng_common.regions import PROVINCE_CODES
from zhicheng_common.series import Level
from zhicheng_common.validators import credit_code_problem, resident_id_problem

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL_TYPE = "ProfessionalTitleCredential"
Gender = Literal["male", "female"]
LEVELS: tuple[Level, ...] = ("junior", "intermediate", "associate_senior", "senior")

# --- ISO 7064 MOD 37,36 ---------------------------------------------------------------------

ALPHABET_36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def mod37_36_check_char(data: str) -> str:
    """The ISO 7064 MOD 37,36 (hybrid system, M = 36) check character of ``data`` (digits, A–Z).

    p starts at M; for each character a: s = (p + a) mod M, with 0 read as M; p = 2s mod (M+1).
    The check character c makes (p + c) mod M = 1.
    """
    p = 36
    for char in data:
        s = (p + ALPHABET_36.index(char)) % 36 or 36
        p = (2 * s) % 37
    return ALPHABET_36[(37 - p) % 36]


# --- certificate number ---------------------------------------------------------------------

_NUMBER = re.compile(r"([0-9]{2})-?([0-9]{4})-?([0-9]{7})-?([0-9A-Z])")
SERIAL_LIMIT = 10_000_000
"""Seven serial digits: ten million certificates per province and year."""


@dataclass(frozen=True)
class CertificateNumber:
    province: str
    year: int
    serial: int

    @property
    def digits(self) -> str:
        return f"{self.province}{self.year:04d}{self.serial:07d}"

    def __str__(self) -> str:
        return f"{self.province}-{self.year:04d}-{self.serial:07d}-{mod37_36_check_char(self.digits)}"


def certificate_number(*, province: str, year: int, serial: int) -> CertificateNumber | Refusal:
    """The number of the ``serial``-th certificate of a province (two-digit GB/T 2260 code) in ``year``."""
    if province not in PROVINCE_CODES:
        return Refusal("", "province_unknown", f"省级行政区划代码无效：{province}", ("province",))
    if not 1 <= serial < SERIAL_LIMIT:
        return Refusal("", "serial_out_of_range", f"证书流水号应在 1 至 {SERIAL_LIMIT - 1} 之间", ("serial",))
    if not 1000 <= year <= 9999:
        return Refusal("", "year_out_of_range", f"年份应为四位数：{year}", ("year",))
    return CertificateNumber(province, year, serial)


def parse_certificate_number(value: str) -> CertificateNumber | Refusal:
    """Read a number as typed: blanks and case are forgiven, the hyphens are optional, the check is not."""
    text = re.sub(r"\s+", "", value).upper()
    match = _NUMBER.fullmatch(text)
    if match is None:
        return Refusal("", "certificate_number_malformed", "证书编号格式应为 PP-YYYY-SSSSSSS-C（如 14-2026-0000123-X）")
    province, year, serial, check = match.groups()
    expected = mod37_36_check_char(province + year + serial)
    if check != expected:
        return Refusal("", "certificate_number_check", f"证书编号校验位错误：应为 {expected}，实际为 {check}")
    number = certificate_number(province=province, year=int(year), serial=int(serial))
    return number


# --- licence identifier (NA-16) ---------------------------------------------------------------

LICENCE_PREFIX = "1.2.156.3005.2"
_LICENCE = re.compile(r"1\.2\.156\.3005\.2\.([0-9A-Z]{1,32})\.([0-9A-Z]{18})\.([0-9]{1,20})\.([0-9]{3})\.([0-9A-Z])")


def licence_identifier(*, licence_type: str, issuer_credit_code: str, serial: str, version: int = 1) -> str | Refusal:
    """NA-16: the GB/T 36904-style identifier; ``serial`` is the certificate number's 13 digits."""
    body = f"{LICENCE_PREFIX}.{licence_type}.{issuer_credit_code}.{serial}.{version:03d}"
    problem = _licence_body_problem(body)
    if problem is not None:
        return problem
    return f"{body}.{mod37_36_check_char(body.replace('.', ''))}"


def _licence_body_problem(body: str) -> Refusal | None:
    match = _LICENCE.fullmatch(body + ".0")
    if match is None:
        return Refusal(
            "NA-16",
            "licence_id_malformed",
            "电子证照标识格式应为 1.2.156.3005.2.{证照类型代码}.{颁发机构统一社会信用代码}"
            ".{顺序号}.{三位版本号}.{校验位}",
        )
    problem = credit_code_problem(match.group(2))
    if problem is not None:
        return Refusal("NA-16", "licence_id_issuer", f"电子证照标识中的颁发机构代码无效：{problem}")
    return None


def licence_identifier_problem(value: str) -> Refusal | None:
    """NA-16: what is wrong with a licence identifier as given (``None`` when valid)."""
    text = value.strip().upper()
    body, _, check = text.rpartition(".")
    if len(check) != 1:
        return Refusal("NA-16", "licence_id_malformed", "电子证照标识应以一位校验位结尾")
    problem = _licence_body_problem(body)
    if problem is not None:
        return problem
    expected = mod37_36_check_char(body.replace(".", ""))
    if check != expected:
        return Refusal("NA-16", "licence_id_check", f"电子证照标识校验位错误：应为 {expected}，实际为 {check}")
    return None


# --- content and canonical form ---------------------------------------------------------------


@dataclass(frozen=True)
class CertificateContent:
    """Everything a certificate says; the signed credential is a function of this and nothing else."""

    number: str  # 证书编号
    licence_id: str  # 电子证照标识 (NA-16)
    holder_name: str
    gender: Gender
    resident_id: str  # 公民身份号码: in the holder's signed document, never in the QR token
    series_code: str
    series_name: str
    specialty_code: str
    specialty_name: str
    level: Level
    title_name: str  # from the series catalog
    committee_id: str
    committee_name: str
    approving_authority: str  # 审批机关
    approval_document: str  # 审批文号
    obtained_on: date  # 取得时间
    issued_at: datetime  # 发证时间 (UTC instant; the printed date is its date in China)
    issuer_did: str  # did:web of the issuing department
    issuer_name: str
    issuer_credit_code: str
    status_list_base: str  # the status lists are {base}/revocation and {base}/suspension
    status_list_index: int
    sm2_key_id: str
    ed25519_key_id: str

    @property
    def verification_method(self) -> str:
        return f"{self.issuer_did}#{self.ed25519_key_id}"


_FIELD_NAMES = tuple(field.name for field in fields(CertificateContent))


@functools.lru_cache(maxsize=16)
def _issuer_code_problem(code: str) -> str | None:
    # The issuer's code is the same on every certificate of a batch: checked once, not each time.
    return credit_code_problem(code)


def content_problems(content: CertificateContent) -> list[Refusal]:
    """Every field that cannot go into a certificate as it is."""
    out: list[Refusal] = []
    for name in _FIELD_NAMES:
        value = getattr(content, name)
        if isinstance(value, str) and (not value.strip() or "\x00" in value):
            out.append(Refusal("", "field_empty", f"证书字段 {name} 为空或含有不可见控制字符", (name,)))
    number = parse_certificate_number(content.number)
    if isinstance(number, Refusal) or str(number) != content.number:
        out.append(Refusal("", "certificate_number_invalid", "证书编号无效或不是规范写法", ("number",)))
    licence = licence_identifier_problem(content.licence_id)
    if licence is not None:
        out.append(licence)
    if resident_id_problem(content.resident_id) is not None:
        out.append(Refusal("", "resident_id_invalid", "公民身份号码无效", ("resident_id",)))
    if _issuer_code_problem(content.issuer_credit_code) is not None:
        out.append(Refusal("", "issuer_credit_code_invalid", "颁发机构统一社会信用代码无效", ("issuer_credit_code",)))
    if content.gender not in ("male", "female"):
        out.append(Refusal("", "gender_invalid", "性别应为 male 或 female", ("gender",)))
    if content.level not in LEVELS:
        out.append(Refusal("", "level_invalid", f"层级应为 {'、'.join(LEVELS)} 之一", ("level",)))
    if content.issued_at.tzinfo is None or content.issued_at.microsecond:
        out.append(Refusal("", "issued_at_invalid", "发证时间应带时区且精确到秒", ("issued_at",)))
    if content.status_list_index < 0:
        out.append(Refusal("", "status_index_invalid", "状态列表索引不能为负", ("status_list_index",)))
    if not content.issuer_did.startswith("did:web:"):
        out.append(Refusal("", "issuer_did_invalid", "签发者标识应为 did:web", ("issuer_did",)))
    return out


def unsecured_credential(content: CertificateContent) -> dict[str, Any]:
    """The documented JSON shape of a certificate: a VC 2.0 credential without its proof."""
    return {
        "@context": [VC_CONTEXT],
        "id": f"urn:zhicheng:certificate:{content.number}",
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": {"id": content.issuer_did, "name": content.issuer_name, "creditCode": content.issuer_credit_code},
        "validFrom": rfc3339(content.issued_at),
        "credentialStatus": [e.to_json() for e in status_entries(content.status_list_base, content.status_list_index)],
        "credentialSubject": {
            "type": "ProfessionalTitleHolder",
            "name": content.holder_name,
            "gender": content.gender,
            "residentId": content.resident_id,
            "title": {
                "series": {"code": content.series_code, "name": content.series_name},
                "specialty": {"code": content.specialty_code, "name": content.specialty_name},
                "level": content.level,
                "name": content.title_name,
                "obtainedOn": content.obtained_on.isoformat(),
                "committee": {"id": content.committee_id, "name": content.committee_name},
                "approval": {"authority": content.approving_authority, "documentNumber": content.approval_document},
            },
        },
        "certificateNumber": content.number,
        "licenceIdentifier": content.licence_id,
        "statusListIndex": content.status_list_index,
        "signingKeys": {"sm2": content.sm2_key_id, "ed25519": content.ed25519_key_id},
    }


def canonical_bytes(content: CertificateContent) -> bytes:
    """JCS (RFC 8785) of :func:`unsecured_credential`: the bytes both signatures cover."""
    return jcs(unsecured_credential(content))


def _path(document: Mapping[str, Any], *keys: str) -> Any:
    value: Any = document
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def content_from_credential(credential: Mapping[str, Any]) -> CertificateContent | Refusal:
    """Read the content back from a credential (with or without proof).

    Only the exact shape :func:`unsecured_credential` writes is accepted, so one content has one
    canonical form: a credential with an extra, missing or retyped member is refused.
    """
    strings = {
        "number": ("certificateNumber",),
        "licence_id": ("licenceIdentifier",),
        "holder_name": ("credentialSubject", "name"),
        "gender": ("credentialSubject", "gender"),
        "resident_id": ("credentialSubject", "residentId"),
        "series_code": ("credentialSubject", "title", "series", "code"),
        "series_name": ("credentialSubject", "title", "series", "name"),
        "specialty_code": ("credentialSubject", "title", "specialty", "code"),
        "specialty_name": ("credentialSubject", "title", "specialty", "name"),
        "level": ("credentialSubject", "title", "level"),
        "title_name": ("credentialSubject", "title", "name"),
        "committee_id": ("credentialSubject", "title", "committee", "id"),
        "committee_name": ("credentialSubject", "title", "committee", "name"),
        "approving_authority": ("credentialSubject", "title", "approval", "authority"),
        "approval_document": ("credentialSubject", "title", "approval", "documentNumber"),
        "issuer_did": ("issuer", "id"),
        "issuer_name": ("issuer", "name"),
        "issuer_credit_code": ("issuer", "creditCode"),
        "sm2_key_id": ("signingKeys", "sm2"),
        "ed25519_key_id": ("signingKeys", "ed25519"),
    }
    values: dict[str, Any] = {}
    for name, path in strings.items():
        value = _path(credential, *path)
        if not isinstance(value, str):
            return _malformed(".".join(path))
        values[name] = value
    try:
        values["obtained_on"] = date.fromisoformat(str(_path(credential, "credentialSubject", "title", "obtainedOn")))
    except ValueError:
        return _malformed("credentialSubject.title.obtainedOn")
    issued_at = parse_rfc3339(credential.get("validFrom"))
    if issued_at is None:
        return _malformed("validFrom")
    values["issued_at"] = issued_at.astimezone(UTC)
    index = credential.get("statusListIndex")
    statuses = credential.get("credentialStatus")
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(statuses, list) or not statuses:
        return _malformed("statusListIndex")
    list_url = _path(statuses[0], "statusListCredential")
    if not isinstance(list_url, str) or "/" not in list_url:
        return _malformed("credentialStatus")
    values["status_list_index"] = index
    values["status_list_base"] = list_url.rsplit("/", 1)[0]
    content = CertificateContent(**values)
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    if jcs(unsecured) != canonical_bytes(content):
        return Refusal("", "credential_not_canonical", "证书文档不是规定的结构（有多余、缺少或改写的成员）")
    return content


def _malformed(member: str) -> Refusal:
    return Refusal("", "credential_malformed", f"证书文档缺少或写错了成员 {member}", (member,))


# --- the signed document ----------------------------------------------------------------------


@dataclass(frozen=True)
class SecuredCredential:
    """A certificate's credential with its Ed25519 proof, and the canonical bytes its SM2 signature covers."""

    credential: dict[str, Any]
    canonical: bytes


def secure_credential(
    content: CertificateContent, *, sm2_key: SigningKey, ed25519_key: SigningKey
) -> SecuredCredential | list[Refusal]:
    """The credential of ``content`` with its ``eddsa-jcs-2022`` proof, and JCS of it without: all but SM2.

    The refusals are :func:`content_problems`. The SM2 signature of ``canonical`` (slow, and done in
    C without the GIL, so a caller signing many may sign in a thread) completes the document in
    :func:`signed_document`.

    Raises:
        ValueError: A key is not the one the content names or was not valid at the issue time (a
            programming error: the caller chose the keys).
    """
    problems = content_problems(content)
    if problems:
        return problems
    for key, algorithm, kid in (
        (sm2_key, Algorithm.SM2, content.sm2_key_id),
        (ed25519_key, Algorithm.ED25519, content.ed25519_key_id),
    ):
        if key.algorithm is not algorithm or key.key_id != kid or not key.validity.covers(content.issued_at):
            raise ValueError(f"key {key.key_id} cannot sign this certificate as {algorithm.value} key {kid}")
    unsecured = unsecured_credential(content)
    canonical = jcs(unsecured)  # the one canonical form: both signatures cover these bytes
    credential = add_eddsa_jcs_proof(
        unsecured,
        key=ed25519_key.private_key,
        verification_method=content.verification_method,
        created=content.issued_at,
        canonical_document=canonical,
    )
    return SecuredCredential(credential, canonical)


def signed_document(secured: SecuredCredential, sm2_signature: bytes) -> dict[str, Any]:
    """The signed certificate document of a secured credential and the SM2 signature (DER) of its canonical bytes."""
    return {
        "credential": secured.credential,
        "sm2Signature": {
            "algorithm": "SM2-SM3",
            "userId": SM2_USER_ID,
            "signatureValue": b64url_encode(sm2_signature),
        },
    }


def sign_certificate(content: CertificateContent, *, sm2_key: SigningKey, ed25519_key: SigningKey) -> dict[str, Any]:
    """The signed certificate document: the VC with its Ed25519 proof, and the SM2 signature beside it.

    ``{"credential": <VC + eddsa-jcs-2022 proof>, "sm2Signature": {"algorithm", "userId", "signatureValue"}}``;
    ``signatureValue`` is the base64url DER SM2 signature of :func:`canonical_bytes`.

    Raises:
        ValueError: The content is invalid, or a key is not the one the content names or was not
            valid at the issue time (a programming error: the caller chose the keys).
    """
    secured = secure_credential(content, sm2_key=sm2_key, ed25519_key=ed25519_key)
    if isinstance(secured, list):
        raise ValueError("; ".join(p.message for p in secured))
    return signed_document(secured, sm2_sign(sm2_key.private_key, secured.canonical))


# --- the QR token -----------------------------------------------------------------------------

_COSE_ALG, _COSE_KID, _COSE_EDDSA = 1, 4, -8
# Claim keys of the token payload (small integers keep the CBOR short).
_T_NUMBER, _T_NAME, _T_TITLE, _T_OBTAINED, _T_ISSUED, _T_INDEX = 1, 2, 3, 4, 5, 6
_EPOCH = date(1970, 1, 1)
MAX_TOKEN_DIGITS = 500
"""Longer texts are refused before decoding (a real token is about 380 digits)."""


@dataclass(frozen=True)
class QrToken:
    """What a QR token says: the minimal claims a verifier compares with the paper."""

    key_id: str
    number: str
    holder_name_masked: str  # 欧*** (pii.mask_name): the token never carries a full name
    title_name: str
    obtained_on: date
    issued_at: datetime
    status_list_index: int


@dataclass(frozen=True)
class SignedToken:
    """A decoded token with the bytes its signature covers (COSE Sig_structure)."""

    claims: QrToken
    to_be_signed: bytes
    signature: bytes


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    # RFC 9052 §4.4: ["Signature1", body_protected, external_aad, payload].
    return cbor2.dumps(["Signature1", protected, b"", payload])


@functools.lru_cache(maxsize=16)
def _protected_header(key_id: str) -> bytes:
    # The same for every token of a key: encoded once.
    return cbor2.dumps({_COSE_ALG: _COSE_EDDSA, _COSE_KID: key_id.encode()})


def qr_token(content: CertificateContent, *, ed25519_key: SigningKey) -> str:
    """The decimal text of a COSE_Sign1 (EdDSA) over the token claims of ``content``.

    The COSE bytes, behind a leading 0x01 byte (so that leading zero bytes survive), are read
    as one big-endian integer and written in decimal.

    Raises:
        ValueError: The key is not the content's Ed25519 key.
    """
    if ed25519_key.algorithm is not Algorithm.ED25519 or ed25519_key.key_id != content.ed25519_key_id:
        raise ValueError(f"key {ed25519_key.key_id} is not the certificate's Ed25519 key")
    protected = _protected_header(content.ed25519_key_id)
    payload = cbor2.dumps(
        {
            _T_NUMBER: int(_number_digits(content.number)),
            _T_NAME: mask_name(content.holder_name),
            _T_TITLE: content.title_name,
            _T_OBTAINED: (content.obtained_on - _EPOCH).days,
            _T_ISSUED: int(content.issued_at.timestamp()),
            _T_INDEX: content.status_list_index,
        }
    )
    signature = ed25519_key.private_key.sign(_sig_structure(protected, payload))
    # Untagged COSE_Sign1 (RFC 9052 §2 lets the application know the type): one byte less.
    message = cbor2.dumps([protected, {}, payload, signature])
    return str(int.from_bytes(b"\x01" + message, "big"))


def _number_digits(number: str) -> str:
    return number.replace("-", "")[:-1]


def decode_token(text: str) -> SignedToken | Refusal:
    """Parse a token's text (signature not yet checked); a refusal says what is malformed."""
    text = text.strip()
    if not text or len(text) > MAX_TOKEN_DIGITS or not re.fullmatch(r"[1-9][0-9]*", text):
        return Refusal("", "token_malformed", f"二维码令牌应为不超过 {MAX_TOKEN_DIGITS} 位的十进制数字")
    value = int(text)
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    if not raw.startswith(b"\x01"):
        return Refusal("", "token_malformed", "二维码令牌不是 COSE_Sign1 结构")
    try:
        parts = cbor2.loads(raw[1:])
    except (ValueError, cbor2.CBORDecodeError):
        return Refusal("", "token_malformed", "二维码令牌不是 COSE_Sign1 结构")
    if not (
        isinstance(parts, list | tuple)
        and len(parts) == 4
        and all(isinstance(p, bytes) for p in (parts[0], parts[2], parts[3]))
    ):
        return Refusal("", "token_malformed", "二维码令牌不是 COSE_Sign1 结构")
    protected_raw, _unprotected, payload_raw, signature = parts
    try:
        protected = cbor2.loads(protected_raw)
        payload = cbor2.loads(payload_raw)
    except (ValueError, cbor2.CBORDecodeError):
        return Refusal("", "token_malformed", "二维码令牌的头部或内容无法解析")
    if not isinstance(protected, Mapping) or protected.get(_COSE_ALG) != _COSE_EDDSA:
        return Refusal("", "token_algorithm", "二维码令牌的签名算法应为 EdDSA（Ed25519）")
    kid = protected.get(_COSE_KID)
    claims = _token_claims(payload, kid)
    if claims is None:
        return Refusal("", "token_malformed", "二维码令牌的声明不完整")
    return SignedToken(claims, _sig_structure(protected_raw, payload_raw), signature)


def _token_claims(payload: object, kid: object) -> QrToken | None:
    if not isinstance(payload, Mapping) or not isinstance(kid, bytes):
        return None
    texts = [payload.get(k) for k in (_T_NAME, _T_TITLE)]
    numbers = [payload.get(k) for k in (_T_NUMBER, _T_OBTAINED, _T_ISSUED, _T_INDEX)]
    if not all(isinstance(v, str) for v in texts) or not all(type(v) is int and v >= 0 for v in numbers):
        return None
    digits = f"{cast(int, numbers[0]):013d}"
    number = parse_certificate_number(digits + mod37_36_check_char(digits)) if len(digits) == 13 else None
    if not isinstance(number, CertificateNumber):
        return None
    numbers = numbers[1:]
    try:
        return QrToken(
            key_id=kid.decode(),
            number=str(number),
            holder_name_masked=cast(str, texts[0]),
            title_name=cast(str, texts[1]),
            obtained_on=date.fromordinal(_EPOCH.toordinal() + cast(int, numbers[0])),
            issued_at=datetime.fromtimestamp(cast(int, numbers[1]), UTC),
            status_list_index=cast(int, numbers[2]),
        )
    except (ValueError, OverflowError, OSError, UnicodeDecodeError):
        return None


def token_signature_problem(token: SignedToken, key: Ed25519PublicKey) -> Refusal | None:
    try:
        key.verify(token.signature, token.to_be_signed)
    except InvalidSignature:
        return Refusal("", "ed25519_signature_invalid", "二维码令牌的 Ed25519 签名验证失败")
    return None


def verification_url(base_url: str, token: str) -> str:
    """The gateway's ``/verify`` page for ``token`` (``base_url`` e.g. ``https://zc.example.cn``)."""
    return f"{verification_url_prefix(base_url)}{token}"


def verification_url_prefix(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/verify?t="


def qr_segments(base_url: str, token: str) -> Sequence[tuple[str, Literal["byte", "numeric"]]]:
    """The QR code's content as two segments: the URL prefix in byte mode, the token in numeric mode.

    Numeric mode spends 10 bits per 3 digits, about 8.0 bits per token byte, where base64url in
    byte mode would spend 10.7 (and base32 in alphanumeric mode 8.8): this is what keeps the
    code at version ≤ 10 at level M, a size phones read from paper at a glance.
    """
    return [(verification_url_prefix(base_url), "byte"), (token, "numeric")]


# --- direct recognition (EL-8, EL-10, EL-14, EL-16 / NA-18) -----------------------------------

Basis = Literal["evaluation", "initial_determination", "qualification_correspondence", "talent", "transfer"]
TalentKind = Literal["high_level_talent", "enterprise_postdoc"]
NO_COMMITTEE = "none"
"""The committee member of a certificate recognized without a committee (the approving authority decides)."""


@dataclass(frozen=True)
class Correspondence:
    """One row of the qualification → title table (NA-18), in force in ``province`` over its dates."""

    qualification: str
    name: str
    province: str  # two-digit GB/T 2260 code, "00" for every province
    series: str
    specialty: str
    rank: str
    effective_from: date
    effective_until: date | None


def corresponding_title(
    table: Sequence[Correspondence], *, qualification: str, province: str, on: date
) -> Correspondence | Refusal:
    """EL-16 / NA-18: the title a qualification counts as in ``province`` on ``on``.

    A province's own row wins over a national ("00") row in force the same day.
    """
    in_force = [
        row
        for row in table
        if row.qualification == qualification
        and row.province in (province, "00")
        and row.effective_from <= on
        and (row.effective_until is None or on <= row.effective_until)
    ]
    if not in_force:
        return Refusal(
            "EL-16",
            "qualification_not_corresponding",
            f"职业资格 {qualification} 在 {on.isoformat()} 没有本省适用的职称对应关系（NA-18 对应关系表）",
            ("qualification",),
        )
    return max(in_force, key=lambda row: (row.province != "00", row.effective_from))


def initial_determination_problem(*, obtained_on: date, month: int, day: int) -> Refusal | None:
    """EL-10: initial determination is done by the unit by the pack's deadline of the year (30 November)."""
    deadline = date(obtained_on.year, month, day)
    if obtained_on > deadline:
        return Refusal(
            "EL-10",
            "initial_determination_late",
            f"初次职称认定应在当年 {month} 月 {day} 日前完成（认定日期 {obtained_on.isoformat()}）",
            ("obtained_on",),
        )
    return None


INITIAL_DETERMINATION_LEVELS: tuple[Level, ...] = ("junior", "intermediate")
TALENT_LEVELS: dict[str, tuple[Level, ...]] = {
    "high_level_talent": ("associate_senior", "senior"),
    "enterprise_postdoc": ("associate_senior",),
}


def recognition_level_problem(basis: Basis, level: Level, talent_kind: str | None) -> Refusal | None:
    """EL-10: initial determination gives a junior or intermediate title; EL-14: talents and postdocs a senior one."""
    if basis == "initial_determination" and level not in INITIAL_DETERMINATION_LEVELS:
        return Refusal("EL-10", "level_not_recognizable", "初次职称认定只确定初级或中级职称", ("rank",))
    if basis == "talent":
        allowed = TALENT_LEVELS.get(talent_kind or "")
        if allowed is None:
            return Refusal(
                "EL-14", "talent_kind_required", "请说明引进人才类别（高层次人才或企业博士后）", ("talent_kind",)
            )
        if level not in allowed:
            return Refusal(
                "EL-14",
                "level_not_recognizable",
                "高层次人才可直接认定副高级或正高级职称，企业博士后可直接认定副高级职称",
                ("rank",),
            )
    return None


def transfer_problem(
    *,
    old_series: str,
    old_level: str,
    old_status: str,
    old_holder_key: str,
    holder_key: str,
    new_series: str,
    new_level: str,
    new_post_since: date | None,
    obtained_on: date,
    min_years: int,
) -> Refusal | None:
    """EL-8: a transfer gives the same level in a new series after a year in the new post.

    The certificate transferred from must be the holder's, and valid.
    """
    if old_holder_key != holder_key:
        return Refusal("EL-8", "transfer_not_holder", "被转评的证书不属于该持证人", ("supersedes",))
    if old_status != "valid":
        return Refusal("EL-8", "transfer_certificate_not_valid", "被转评的证书不是有效状态", ("supersedes",))
    if old_level != new_level or old_series == new_series:
        return Refusal(
            "EL-8",
            "transfer_same_level_new_series",
            "转评取得的是新系列的同级职称：层级应相同、系列应不同",
            ("series", "rank"),
        )
    if new_post_since is None or _whole_years(new_post_since, obtained_on) < min_years:
        return Refusal(
            "EL-8",
            "transfer_too_early",
            f"转换岗位后须在新岗位工作满 {min_years} 年方可转评",
            ("new_post_since",),
        )
    return None


def _whole_years(start: date, end: date) -> int:
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years
