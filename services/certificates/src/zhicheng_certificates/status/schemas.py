"""Request bodies of the status feature."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_certificates.status.domain import REINSTATE_CATEGORIES, REVOKE_CATEGORIES, SUSPEND_CATEGORIES

RevokeCategory = Literal[REVOKE_CATEGORIES]  # type: ignore[valid-type]
SuspendCategory = Literal[SUSPEND_CATEGORIES]  # type: ignore[valid-type]
ReinstateCategory = Literal[REINSTATE_CATEGORIES]  # type: ignore[valid-type]


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="the decision's grounds (stored sealed)")


class Revocation(_Decision):
    """An HR decision revoking a certificate (撤销), with its reason category."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason_category": "falsification", "reason": "经查申报材料系伪造"}]}
    )

    reason_category: RevokeCategory


class Suspension(_Decision):
    """An HR decision suspending a certificate (暂停) until reinstated."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason_category": "under_investigation", "reason": "收到举报，调查期间暂停"}]}
    )

    reason_category: SuspendCategory


class Reinstatement(_Decision):
    """An HR decision reinstating a suspended certificate (恢复)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason_category": "investigation_closed", "reason": "调查结束，举报不实"}]}
    )

    reason_category: ReinstateCategory
