"""Offline verification (离线验证) of a QR token or a signed certificate document, with no I/O.

Given the published keys and the published status lists, :func:`verify` answers each check with
a reason: the document's form, the SM2 signature, the Ed25519 signature, whether the issuer's
keys were valid at the issue time, and the status (revoked, suspended). Every check is done even
when an earlier one fails, so the answer says exactly which parts are wrong. The algorithm is
written out in ``docs/certificates.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

from zhicheng_certificates.certificate.domain import (
    content_from_credential,
    decode_token,
    token_signature_problem,
)
from zhicheng_certificates.signing.domain import (
    Algorithm,
    PublishedKey,
    b64url_decode,
    eddsa_jcs_proof,
    jcs,
    key_for_verification,
    parse_rfc3339,
    sm2_verify,
    verify_eddsa_jcs_proof,
)
from zhicheng_certificates.status.domain import (
    STATUS_PURPOSES,
    PublishedStatusList,
    StatusPurpose,
    read_status_list_credential,
)
from zhicheng_common.pii import mask_name
from zhicheng_common.refusals import Refusal


class CheckName(StrEnum):
    FORM = "form"
    SIGNATURE_SM2 = "signature_sm2"
    SIGNATURE_ED25519 = "signature_ed25519"
    KEY_VALID_AT_ISSUE = "issuer_key_valid_at_issue"
    STATUS = "status"


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"  # could not be decided from what was given (e.g. no status list)


@dataclass(frozen=True)
class Check:
    name: CheckName
    outcome: Outcome
    reason: str
    code: str = ""


@dataclass(frozen=True)
class VerificationResult:
    """Each check with its reason, and what a verifier may see (holder's name masked)."""

    kind: str  # "token" or "document"
    checks: tuple[Check, ...]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return all(c.outcome in (Outcome.PASSED, Outcome.NOT_APPLICABLE) for c in self.checks)

    def check(self, name: CheckName) -> Check:
        return next(c for c in self.checks if c.name is name)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "valid": self.valid,
            "checks": [
                {"name": c.name.value, "outcome": c.outcome.value, "reason": c.reason, "code": c.code}
                for c in self.checks
            ],
            "certificate": self.summary,
        }


def _passed(name: CheckName, reason: str) -> Check:
    return Check(name, Outcome.PASSED, reason)


def _failed(name: CheckName, refusal: Refusal) -> Check:
    return Check(name, Outcome.FAILED, refusal.message, refusal.code)


def _find(keys: Sequence[PublishedKey], key_id: str, algorithm: Algorithm) -> PublishedKey | None:
    return next((k for k in keys if k.key_id == key_id and k.algorithm is algorithm), None)


def token_from_text(text: str) -> str:
    """The token of a scanned QR text: the ``t`` parameter of the ``/verify`` URL, or the text itself."""
    text = text.strip()
    if "?" in text:
        values = parse_qs(urlsplit(text).query).get("t")
        if values:
            return values[0]
    return text


def verify(
    source: str | Mapping[str, Any], *, keys: Sequence[PublishedKey], status_lists: Sequence[Mapping[str, Any]]
) -> VerificationResult:
    """Verify a QR token (its text or the scanned URL) or a signed certificate document."""
    if isinstance(source, str):
        return verify_token(token_from_text(source), keys=keys, status_lists=status_lists)
    return verify_document(source, keys=keys, status_lists=status_lists)


def verify_token(
    text: str, *, keys: Sequence[PublishedKey], status_lists: Sequence[Mapping[str, Any]]
) -> VerificationResult:
    """Checks of a QR token: form, Ed25519 signature, key validity at issue, status (SM2: not applicable)."""
    token = decode_token(text)
    sm2 = Check(
        CheckName.SIGNATURE_SM2,
        Outcome.NOT_APPLICABLE,
        "二维码令牌只带 Ed25519 签名；SM2 签名在证书文档上",
    )
    if isinstance(token, Refusal):
        failed = Check(CheckName.FORM, Outcome.FAILED, token.message, token.code)
        rest = (
            Check(name, Outcome.UNKNOWN, "令牌无法解析，未检查")
            for name in (CheckName.SIGNATURE_ED25519, CheckName.KEY_VALID_AT_ISSUE, CheckName.STATUS)
        )
        return VerificationResult("token", (failed, sm2, *rest))
    claims = token.claims
    key = _find(keys, claims.key_id, Algorithm.ED25519)
    if key is None:
        ed25519 = Check(
            CheckName.SIGNATURE_ED25519, Outcome.FAILED, f"未公布的 Ed25519 签名密钥：{claims.key_id}", "unknown_key"
        )
    else:
        problem = token_signature_problem(token, key.public_key)
        ed25519 = (
            _failed(CheckName.SIGNATURE_ED25519, problem)
            if problem
            else _passed(CheckName.SIGNATURE_ED25519, f"Ed25519 签名有效（密钥 {claims.key_id}）")
        )
    validity = _key_validity([(claims.key_id, Algorithm.ED25519)], keys, claims.issued_at)
    status = _status(claims.status_list_index, None, keys, status_lists)
    summary = {
        "number": claims.number,
        "holderName": claims.holder_name_masked,
        "titleName": claims.title_name,
        "obtainedOn": claims.obtained_on.isoformat(),
        "issuedAt": claims.issued_at.isoformat(),
    }
    form = _passed(CheckName.FORM, "令牌结构完整（COSE_Sign1）")
    return VerificationResult("token", (form, sm2, ed25519, validity, status), summary)


def verify_document(
    document: Mapping[str, Any], *, keys: Sequence[PublishedKey], status_lists: Sequence[Mapping[str, Any]]
) -> VerificationResult:
    """Checks of a signed certificate document; each signature is checked over the bytes as stored."""
    credential = document.get("credential")
    if not isinstance(credential, Mapping):
        refusal = Refusal("", "document_malformed", "文档缺少 credential")
        unknown = (
            Check(name, Outcome.UNKNOWN, "文档无法解析，未检查")
            for name in (
                CheckName.SIGNATURE_SM2,
                CheckName.SIGNATURE_ED25519,
                CheckName.KEY_VALID_AT_ISSUE,
                CheckName.STATUS,
            )
        )
        return VerificationResult("document", (_failed(CheckName.FORM, refusal), *unknown))
    content = content_from_credential(credential)
    form = (
        _failed(CheckName.FORM, content)
        if isinstance(content, Refusal)
        else _passed(CheckName.FORM, "证书文档为规定的结构")
    )
    signing_keys = credential.get("signingKeys")
    sm2_kid = signing_keys.get("sm2") if isinstance(signing_keys, Mapping) else None
    proof = eddsa_jcs_proof(credential)
    method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
    ed_kid = method.split("#", 1)[1] if isinstance(method, str) and "#" in method else None
    signed_at = parse_rfc3339(credential.get("validFrom"))

    sm2 = _sm2_check(credential, document.get("sm2Signature"), sm2_kid, keys)
    ed25519 = _ed25519_check(credential, ed_kid, keys)
    if signed_at is None or not isinstance(sm2_kid, str) or ed_kid is None:
        validity = Check(
            CheckName.KEY_VALID_AT_ISSUE, Outcome.FAILED, "文档缺少签发时间或密钥标识", "document_malformed"
        )
    else:
        validity = _key_validity([(sm2_kid, Algorithm.SM2), (ed_kid, Algorithm.ED25519)], keys, signed_at)
    index = credential.get("statusListIndex")
    if isinstance(index, int) and not isinstance(index, bool):
        status = _status(index, _status_urls(credential), keys, status_lists)
    else:
        status = Check(CheckName.STATUS, Outcome.FAILED, "文档缺少状态列表索引", "document_malformed")
    summary: dict[str, Any] = {}
    if not isinstance(content, Refusal):
        summary = {
            "number": content.number,
            "holderName": mask_name(content.holder_name),
            "titleName": content.title_name,
            "series": content.series_name,
            "level": content.level,
            "obtainedOn": content.obtained_on.isoformat(),
            "issuedAt": content.issued_at.isoformat(),
            "issuer": content.issuer_name,
        }
    return VerificationResult("document", (form, sm2, ed25519, validity, status), summary)


def _sm2_check(
    credential: Mapping[str, Any], signature_block: object, kid: object, keys: Sequence[PublishedKey]
) -> Check:
    name = CheckName.SIGNATURE_SM2
    if not isinstance(signature_block, Mapping) or not isinstance(signature_block.get("signatureValue"), str):
        return Check(name, Outcome.FAILED, "文档缺少 SM2 签名", "sm2_signature_missing")
    if not isinstance(kid, str):
        return Check(name, Outcome.FAILED, "证书内容缺少 SM2 密钥标识", "document_malformed")
    key = _find(keys, kid, Algorithm.SM2)
    if key is None:
        return Check(name, Outcome.FAILED, f"未公布的 SM2 签名密钥：{kid}", "unknown_key")
    value = signature_block["signatureValue"]
    try:
        signature = b64url_decode(value)
    except ValueError:
        return Check(name, Outcome.FAILED, "SM2 签名不是 base64url 文本", "sm2_signature_malformed")
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    if not sm2_verify(key.public_key, jcs(unsecured), signature):
        return Check(name, Outcome.FAILED, "SM2 签名验证失败：证书内容已被改动，或密钥不符", "sm2_signature_invalid")
    return _passed(name, f"SM2 签名有效（SM3，签名者标识 1234567812345678，密钥 {kid}）")


def _ed25519_check(credential: Mapping[str, Any], kid: str | None, keys: Sequence[PublishedKey]) -> Check:
    name = CheckName.SIGNATURE_ED25519
    if kid is None:
        return Check(name, Outcome.FAILED, "文档缺少 eddsa-jcs-2022 证明或其 verificationMethod", "proof_missing")
    key = _find(keys, kid, Algorithm.ED25519)
    if key is None:
        return Check(name, Outcome.FAILED, f"未公布的 Ed25519 签名密钥：{kid}", "unknown_key")
    problem = verify_eddsa_jcs_proof(credential, key.public_key)
    if problem is not None:
        return _failed(name, problem)
    return _passed(name, f"Ed25519 签名有效（eddsa-jcs-2022，密钥 {kid}）")


def _key_validity(wanted: Sequence[tuple[str, Algorithm]], keys: Sequence[PublishedKey], signed_at: datetime) -> Check:
    name = CheckName.KEY_VALID_AT_ISSUE
    for kid, algorithm in wanted:
        found = key_for_verification(keys, key_id=kid, algorithm=algorithm, signed_at=signed_at)
        if isinstance(found, Refusal):
            return _failed(name, found)
    ids = "、".join(kid for kid, _ in wanted)
    return _passed(name, f"签名密钥 {ids} 在签发时间 {signed_at.isoformat()} 有效")


def _status_urls(credential: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    entries = credential.get("credentialStatus")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping):
            purpose, url = entry.get("statusPurpose"), entry.get("statusListCredential")
            if isinstance(purpose, str) and isinstance(url, str):
                out[purpose] = url
    return out


def _authentic_lists(
    status_lists: Sequence[Mapping[str, Any]], keys: Sequence[PublishedKey]
) -> tuple[list[PublishedStatusList], list[str]]:
    """The lists whose eddsa-jcs-2022 proof verifies with a published key valid when the list was made."""
    good: list[PublishedStatusList] = []
    bad: list[str] = []
    for credential in status_lists:
        published = read_status_list_credential(credential)
        if isinstance(published, Refusal):
            bad.append(published.message)
            continue
        proof = eddsa_jcs_proof(credential)
        method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
        made_at = parse_rfc3339(proof.get("created")) if isinstance(proof, Mapping) else None
        kid = method.split("#", 1)[1] if isinstance(method, str) and "#" in method else ""
        key = (
            key_for_verification(keys, key_id=kid, algorithm=Algorithm.ED25519, signed_at=made_at)
            if made_at is not None
            else Refusal("", "proof_malformed", "状态列表的证明缺少 created")
        )
        problem = key if isinstance(key, Refusal) else verify_eddsa_jcs_proof(credential, key.public_key)
        if problem is not None:
            bad.append(f"状态列表 {published.url} 不可信：{problem.message}")
            continue
        good.append(published)
    return good, bad


def _status(
    index: int,
    urls: Mapping[str, str] | None,
    keys: Sequence[PublishedKey],
    status_lists: Sequence[Mapping[str, Any]],
) -> Check:
    """Revocation and suspension bits at ``index``; with ``urls`` (a document) only the lists it names count."""
    name = CheckName.STATUS
    lists, untrusted = _authentic_lists(status_lists, keys)
    if untrusted:
        return Check(name, Outcome.FAILED, "；".join(untrusted), "status_list_untrusted")
    found: dict[StatusPurpose, PublishedStatusList] = {}
    for purpose in STATUS_PURPOSES:
        for published in lists:
            if published.purpose == purpose and (urls is None or urls.get(purpose) == published.url):
                found[purpose] = published
    labels: dict[StatusPurpose, str] = {"revocation": "已撤销", "suspension": "已暂停"}
    for purpose, label in labels.items():
        chosen = found.get(purpose)
        if chosen is None:
            continue
        if index >= chosen.bits.size:
            return Check(name, Outcome.FAILED, f"状态列表索引 {index} 超出列表长度", "status_index_out_of_range")
        if chosen.bits.get(index):
            return Check(name, Outcome.FAILED, f"证书{label}（{purpose} 列表第 {index} 位）", f"certificate_{purpose}")
    missing = [p for p in STATUS_PURPOSES if p not in found]
    if "revocation" in missing:
        return Check(name, Outcome.UNKNOWN, "未提供可信的撤销状态列表，无法判断是否已撤销", "status_list_missing")
    if missing:
        return Check(name, Outcome.UNKNOWN, "未撤销；未提供暂停状态列表，无法判断是否已暂停", "status_list_missing")
    return _passed(name, f"未撤销、未暂停（状态列表第 {index} 位）")
