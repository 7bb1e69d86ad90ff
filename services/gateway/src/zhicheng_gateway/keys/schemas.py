"""Request and response bodies of the API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_common.validators import RegionCode

KEY_EXAMPLE: dict[str, Any] = {
    "id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e00",
    "name": "太原市人社局数据共享",
    "holder": "太原市人力资源和社会保障局",
    "region": "140100",
    "scopes": ["feed:taiyuan-hr", "query"],
    "quota": 600,
    "window_seconds": 60,
    "created_at": "2026-12-03T01:00:00Z",
    "rotated_at": None,
    "previous_valid_until": None,
    "revoked_at": None,
}


class ApiKeyCreate(BaseModel):
    """A key to issue: its holder, jurisdiction, scopes and quota (defaults from the settings)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "太原市人社局数据共享",
                    "holder": "太原市人力资源和社会保障局",
                    "region": "140100",
                    "scopes": ["feed:taiyuan-hr", "query"],
                    "quota": 600,
                    "window_seconds": 60,
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=128)
    holder: str = Field(min_length=1, max_length=128, description="the agency or unit the key is issued to")
    region: RegionCode = Field(description="the key's jurisdiction (GB/T 2260); within the issuer's")
    scopes: list[str] = Field(min_length=1, max_length=32, description="`verify`, `query`, `feed:<subscription>`")
    quota: int | None = Field(default=None, ge=1, le=1_000_000, description="calls per window")
    window_seconds: int | None = Field(default=None, ge=1, le=86_400)


class ApiKeyRead(BaseModel):
    """A key as stored: never its secret."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [KEY_EXAMPLE]})

    id: uuid.UUID
    name: str
    holder: str
    region: str
    scopes: list[str]
    quota: int
    window_seconds: int
    created_at: datetime
    rotated_at: datetime | None
    previous_valid_until: datetime | None = Field(description="until when the secret before the last rotation works")
    revoked_at: datetime | None


class ApiKeyIssued(BaseModel):
    """A new or rotated key with its secret: shown this once, stored only as a hash."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": KEY_EXAMPLE,
                    "secret": "zck_01938f3c7a1e7c449d3b2a6f0c1d5e00_3q2-7wEXAMPLEexampleEXAMPLEexampleEXAMPLEe",
                    "header": "X-API-Key",
                }
            ]
        }
    )

    key: ApiKeyRead
    secret: str = Field(description="send as the X-API-Key header; it cannot be shown again")
    header: str = "X-API-Key"


class ApiKeyRotate(BaseModel):
    """How long the old secret keeps working beside the new one (default from the settings)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"overlap_seconds": 86400}]})

    overlap_seconds: int | None = Field(default=None, ge=0, le=30 * 86_400)


class ApiKeyPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [KEY_EXAMPLE], "total": 1}]})

    items: list[ApiKeyRead]
    total: int


class ApiKeyUsageWindow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    window_start: datetime
    calls: int
    refused: int


class ApiKeyUsageRead(BaseModel):
    """Every call of the key, counted per quota window (the refused ones too)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e00",
                    "calls": 1204,
                    "refused": 3,
                    "windows": [{"window_start": "2026-12-03T01:00:00Z", "calls": 601, "refused": 1}],
                }
            ]
        }
    )

    key_id: uuid.UUID
    calls: int
    refused: int
    windows: list[ApiKeyUsageWindow]
