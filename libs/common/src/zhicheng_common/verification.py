"""Bodies of the public verification API, shared by the certificates service, which answers it,
and the gateway, which relays its answers as they are (``/api/v1/verify/...``, docs/verify.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

NUMBER_EXAMPLE: dict[str, Any] = {"number": "14-2026-0000001-6", "holder_name": "李华"}
_CERTIFICATE_EXAMPLE: dict[str, Any] = {
    "number": "14-2026-0000001-6",
    "holderName": "李华",
    "titleName": "工程师",
    "series": "工程技术",
    "level": "intermediate",
    "obtainedOn": "2026-10-15",
    "issuedAt": "2026-12-03T02:00:00+00:00",
    "issuer": "山西省人力资源和社会保障厅",
}
_SIGNATURE_CHECKS: list[Any] = [
    {"name": "form", "outcome": "passed", "reason": "证书文档为规定的结构", "code": ""},
    {"name": "signature_sm2", "outcome": "passed", "reason": "SM2 签名有效", "code": ""},
    {"name": "signature_ed25519", "outcome": "passed", "reason": "Ed25519 签名有效", "code": ""},
    {"name": "issuer_key_valid_at_issue", "outcome": "passed", "reason": "签名密钥有效", "code": ""},
]


class NumberQuery(BaseModel):
    """Verify by certificate number and the holder's name (resident ID optional, compared, never returned)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [dict(NUMBER_EXAMPLE)]})

    number: str = Field(min_length=1, max_length=32)
    holder_name: str = Field(min_length=1, max_length=64)
    resident_id: str | None = Field(default=None, max_length=18, description="optional: compared, never returned")


class TokenQuery(BaseModel):
    """Verify a QR code's token, or the whole scanned URL (``…/verify?t=…``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"token": "1121…"}]})

    token: str = Field(min_length=1, max_length=1000)


class CheckRead(BaseModel):
    name: str = Field(description="form, signature_sm2, signature_ed25519, issuer_key_valid_at_issue, status")
    outcome: str = Field(description="passed, failed, not_applicable or unknown")
    reason: str
    code: str


class VerificationRead(BaseModel):
    """Each check with its reason and only what a verifier needs (the name masked unless supplied
    correctly); "no match" says nothing of the holder."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "matched": True,
                    "valid": True,
                    "kind": "document",
                    "detail": "",
                    "checks": [
                        *_SIGNATURE_CHECKS,
                        {"name": "status", "outcome": "passed", "reason": "未撤销、未暂停（实时状态）", "code": ""},
                    ],
                    "certificate": _CERTIFICATE_EXAMPLE,
                },
                {
                    "matched": True,
                    "valid": False,
                    "kind": "document",
                    "detail": "",
                    "checks": [
                        *_SIGNATURE_CHECKS,
                        {
                            "name": "status",
                            "outcome": "failed",
                            "reason": "证书已于 2026-12-03 撤销",
                            "code": "certificate_revocation",
                        },
                    ],
                    "certificate": _CERTIFICATE_EXAMPLE,
                },
                {
                    "matched": False,
                    "valid": False,
                    "checks": [],
                    "certificate": None,
                    "detail": "未找到与所填信息相符的证书",
                },
            ]
        }
    )

    matched: bool
    valid: bool
    kind: str | None = None
    detail: str
    checks: list[CheckRead]
    certificate: dict[str, Any] | None
