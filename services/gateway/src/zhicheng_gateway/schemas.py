"""Request and response bodies of the gateway. No response ever carries a password hash."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, Field, model_validator

from zhicheng_common.auth import Role
from zhicheng_common.schemas import examples
from zhicheng_common.validators import CreditCode, RegionCode, ResidentIdNumber


def _normalize_username(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _unique_sorted(roles: list[Role]) -> list[Role]:
    return sorted(set(roles))


Username = Annotated[
    str,
    BeforeValidator(_normalize_username),
    Field(
        pattern=r"^[a-z0-9][a-z0-9_.@-]{2,63}$",
        description="3–64 characters: letters, digits, `_ . @ -`; stored in lower case.",
        examples=["taiyuan.hr"],
    ),
]


class UserCreate(BaseModel):
    """A new user: credentials, roles and the region (GB/T 2260) they act for."""

    model_config = examples(
        {
            "username": "taiyuan.hr",
            "password": "Tai-yuan-2026!",
            "roles": ["hr_admin"],
            "region": "140100",
            "name": "太原市人社局 张敏",
        }
    )

    username: Username
    password: str = Field(min_length=8, max_length=256, description="At least 8 characters.")
    roles: Annotated[list[Role], AfterValidator(_unique_sorted)] = Field(min_length=1, max_length=len(Role))
    region: RegionCode = Field(description="GB/T 2260 region code of the user's jurisdiction.")
    name: str = Field(min_length=1, max_length=128, description="Display name.")


class UserRead(BaseModel):
    """A user as others see it."""

    model_config = examples(
        {
            "id": "0193a5b2-7c1e-7d3a-9f4e-2b6c8d0e1f23",
            "username": "taiyuan.hr",
            "roles": ["hr_admin"],
            "region": "140100",
            "name": "太原市人社局 张敏",
            "active": True,
            "created_at": "2026-11-22T08:30:00+08:00",
            "created_by": "0193a5b2-0000-7000-8000-000000000001",
        },
        from_attributes=True,
    )

    id: uuid.UUID
    username: str
    roles: list[str]
    region: str
    name: str
    active: bool
    created_at: datetime
    created_by: str = Field(description="Subject (user id) of the creator, or `system` for the bootstrap.")
    identity_verified: bool = Field(
        default=False, description="Whether staff bound the account to a checked resident ID (token `zc_person_key`)."
    )
    unit_bound: bool = Field(default=False, description="Whether the account acts for one unit (token `zc_unit_key`).")
    department: str | None = Field(default=None, description="Department the account acts for, if bound.")
    committees: list[str] = Field(default_factory=list, description="Committees a committee office acts for.")

    @model_validator(mode="before")
    @classmethod
    def _flags(cls, value: Any) -> Any:
        # From the table row: say whether a binding exists, never show its keyed hash.
        if hasattr(value, "person_key"):
            return {
                **{k: getattr(value, k) for k in ("id", "username", "roles", "region", "name", "active")},
                "created_at": value.created_at,
                "created_by": value.created_by,
                "identity_verified": value.person_key is not None,
                "unit_bound": value.unit_key is not None,
                "department": value.department,
                "committees": list(value.committees or []),
            }
        return value


class UserBindings(BaseModel):
    """What an account is bound to, set by staff after checking identity (issue 12). Omitted = unbound.

    The ID number and credit code are stored only as keyed hashes; the token then carries them as
    ``zc_person_key`` / ``zc_unit_key`` and services decide "own record" and "own unit" from those.
    """

    model_config = examples(
        {
            "id_number": "11010519491231002X",
            "unit_credit_code": "91350100M000100Y43",
            "department": None,
            "committees": [],
            "reason": "本人持身份证到太原市人社局窗口核验",
        },
        extra="forbid",
    )

    id_number: ResidentIdNumber | None = Field(default=None, description="The holder's resident ID, checked in person.")
    unit_credit_code: CreditCode | None = Field(
        default=None, description="Credit code of the unit the account acts for."
    )
    department: str | None = Field(default=None, min_length=1, max_length=64, description="Department code.")
    committees: list[uuid.UUID] = Field(default_factory=list, max_length=50, description="Committees (ids).")
    reason: str = Field(min_length=1, max_length=500, description="How the identity was checked (journaled).")


class UserPage(BaseModel):
    """One page of users within the caller's jurisdiction."""

    items: list[UserRead]
    total: int = Field(examples=[1])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])


class Token(BaseModel):
    """An OAuth2 bearer token (a JWT signed by the gateway)."""

    model_config = examples(
        {
            "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6Ij…",
            "token_type": "bearer",
            "expires_in": 3600,
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")


class Jwks(BaseModel):
    """The public keys tokens are verified with (RFC 7517)."""

    model_config = examples(
        {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                    "kid": "3f9a0c1d2e4b5a69",
                    "use": "sig",
                    "alg": "EdDSA",
                }
            ]
        }
    )

    keys: list[dict[str, Any]]


class OpenIdConfiguration(BaseModel):
    """OIDC discovery metadata, so a relying party can find the issuer's keys and token endpoint."""

    model_config = examples(
        {
            "issuer": "zhicheng",
            "jwks_uri": "https://zc.example.cn/api/v1/auth/jwks",
            "token_endpoint": "https://zc.example.cn/api/v1/auth/token",
            "grant_types_supported": ["password"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["EdDSA"],
            "token_endpoint_auth_methods_supported": ["none"],
            "claims_supported": ["sub", "name", "roles", "region", "scope"],
        }
    )

    issuer: str
    jwks_uri: str
    token_endpoint: str
    grant_types_supported: list[str] = ["password"]
    response_types_supported: list[str] = ["token"]
    subject_types_supported: list[str] = ["public"]
    id_token_signing_alg_values_supported: list[str] = ["EdDSA"]
    token_endpoint_auth_methods_supported: list[str] = ["none"]
    claims_supported: list[str] = ["sub", "name", "roles", "region", "scope"]


class SystemHealth(BaseModel):
    """Readiness of the gateway and of every domain service behind it."""

    model_config = examples(
        {
            "status": "degraded",
            "services": {
                "gateway": "ready",
                "intake": "ready",
                "review": "not ready: unreachable (ConnectError)",
            },
        }
    )

    status: Literal["all services ready", "degraded"]
    services: dict[str, str]


class ClockRead(BaseModel):
    """The deployment's time as its services read it (docs/clock.md)."""

    mode: Literal["system", "controlled"] = Field(description="`ZC_CLOCK` of the deployment")
    now: datetime = Field(description="the time every service reads now")
    real: datetime = Field(description="the machine's time")
    offset_seconds: float = Field(description="now minus real")
    revision: int = Field(description="how many times the clock was moved")
    moved_at: datetime | None = Field(default=None, description="real time of the last move")
    moved_by: str | None = Field(default=None, description="who moved it last")


class ClockMove(BaseModel):
    """Set the controlled time (`to`) or move it forward (`advance`, an ISO 8601 duration)."""

    model_config = examples({"advance": "P8D"}, {"to": "2027-01-08T09:00:00+08:00"}, extra="forbid")

    to: AwareDatetime | None = Field(default=None, description="the new time, with its zone")
    advance: timedelta | None = Field(default=None, description="how far to move, e.g. `P8D`, `PT6H`")
    force: bool = Field(default=False, description="allow moving backwards (deadlines that fired stay fired)")

    @model_validator(mode="after")
    def _one_of(self) -> ClockMove:
        if (self.to is None) == (self.advance is None):
            raise ValueError("give exactly one of `to` and `advance`")
        return self
