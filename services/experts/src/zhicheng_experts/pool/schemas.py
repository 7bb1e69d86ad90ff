"""Request and response bodies of pool filings (``PoolFilingCreate``, ``PoolFilingRead``, …)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_common.schemas import examples


class PoolFilingCreate(BaseModel):
    """A committee's expert pool filed (first filing) or re-filed (EX-3, EX-4, EX-5)."""

    model_config = examples(
        {
            "committee_id": "0192f3a1-7c1e-7b7e-9c3a-2f5d8e6b1a01",
            "valid_from": "2027-01-01",
            "valid_until": "2029-12-31",
            "expert_ids": ["0192f3a1-7c1e-7b7e-9c3a-2f5d8e6b1a11", "0192f3a1-7c1e-7b7e-9c3a-2f5d8e6b1a12"],
        },
        extra="forbid",
    )

    committee_id: uuid.UUID
    valid_from: date
    valid_until: date
    expert_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    evaluation_date: date | None = Field(
        default=None, description="the annual evaluation the re-filing is for (EX-4); default: the next planned meeting"
    )


class PoolMemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    expert_id: uuid.UUID
    is_new: bool


class PoolFilingRead(BaseModel):
    """A filing with the counts it was judged on (members, new ones, private-enterprise ones)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    committee_id: uuid.UUID
    region: str
    status: str
    valid_from: date
    valid_until: date
    applied_on: date
    evaluation_date: date | None
    previous_filing_id: uuid.UUID | None
    member_count: int
    new_member_count: int
    private_enterprise_count: int
    policy_pack: str
    created_by: str
    created_at: datetime
    ended_at: datetime | None


class PoolFilingDetail(PoolFilingRead):
    members: list[PoolMemberRead]
