"""The holder's view (NA-15): what the gateway assembles from intake, certificates and its own counts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class HolderDeclaration(BaseModel):
    id: uuid.UUID
    year: int
    series: str
    level: str
    status: str = Field(description="intake's status: the declaration's stage")
    stage: str = Field(description="the stage in words")


class VerifiedBy(BaseModel):
    """An identified verifier's lookup (a unit's API key or signed-in account), recorded by the certificates service."""

    at: datetime
    verifier_id: str
    verifier_name: str
    method: str = Field(description="number or token")


class AnonymousChecks(BaseModel):
    """Anonymous checks through the gateway on one China day: a count, nothing about who asked."""

    day: date
    method: str
    count: int


class HolderCertificate(BaseModel):
    number: str
    title_name: str
    series: str
    level: str
    status: str
    obtained_on: date
    issued_at: datetime
    verification_url: str
    verified_by: list[VerifiedBy]
    anonymous_checks: list[AnonymousChecks]
    anonymous_total: int


class HolderView(BaseModel):
    """My declarations and their stage, my certificates, and who verified them (NA-15)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "declarations": [
                        {
                            "id": "0190b5a2-0000-7000-8000-000000000001",
                            "year": 2026,
                            "series": "engineering",
                            "level": "senior",
                            "status": "qualified",
                            "stage": "审核通过，待评审",
                        }
                    ],
                    "certificates": [
                        {
                            "number": "14-2026-0000001-6",
                            "title_name": "正高级工程师",
                            "series": "engineering",
                            "level": "senior",
                            "status": "valid",
                            "obtained_on": "2026-11-20",
                            "issued_at": "2026-12-03T02:00:00Z",
                            "verification_url": "https://zc.example.cn/verify?t=1121…",
                            "verified_by": [
                                {
                                    "at": "2026-12-04T01:30:00Z",
                                    "verifier_id": "apikey:0190b5a2000070008000000000000002",
                                    "verifier_name": "太原市某某设计院",
                                    "method": "number",
                                }
                            ],
                            "anonymous_checks": [{"day": "2026-12-04", "method": "token", "count": 3}],
                            "anonymous_total": 3,
                        }
                    ],
                    "unavailable": [],
                }
            ]
        }
    )

    declarations: list[HolderDeclaration]
    certificates: list[HolderCertificate]
    unavailable: list[str] = Field(description="services that did not answer: their part is missing, not empty")
