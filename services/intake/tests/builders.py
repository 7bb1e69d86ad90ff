"""Builders the intake tests start from: declarations, committee and plan events, resident ID numbers.

The declaration is the OpenAPI example (``zhicheng_intake.examples``) with changes applied.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date
from typing import Any

from zhicheng_common import testing
from zhicheng_intake.examples import DECLARATION_EXAMPLE, EXAMPLE_COMMITTEE_ID, EXAMPLE_CREDIT_CODE

COMMITTEE_ID = EXAMPLE_COMMITTEE_ID
CREDIT_CODE = EXAMPLE_CREDIT_CODE


def resident_id(birth: date = date(1985, 6, 1), seq: int = 123, region: str = "140105") -> str:
    """A valid GB 11643 number for ``birth`` (``seq`` tells applicants apart); the example applicant's by default."""
    return testing.resident_id(region, birth, seq)


def declaration_body(**changes: Any) -> dict[str, Any]:
    """The example declaration with ``changes``: ``applicant__post="…"`` sets ``body["applicant"]["post"]``."""
    body: dict[str, Any] = copy.deepcopy(DECLARATION_EXAMPLE)
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        target[leaf] = value
    return body


def committee_event(committee_id: uuid.UUID = COMMITTEE_ID, **changes: Any) -> dict[str, Any]:
    """``committees.committee.approved`` data: Shanxi engineering, intermediate and senior levels."""
    data: dict[str, Any] = {
        "committee_id": str(committee_id),
        "name": "山西省工程技术高级职称评审委员会",
        "kind": "provincial",
        "formation_basis": "per_series",
        "series": "engineering",
        "specialties": [],
        "levels": ["intermediate", "associate_senior", "senior"],
        "scope_regions": ["140000"],
        "scope_ownership_kinds": [],
        "policy_pack": "shanxi-2024",
        "valid_from": "2023-01-01",
        "valid_until": "2025-12-31",
    }
    data.update(changes)
    return data


def plan_event(committee_id: uuid.UUID = COMMITTEE_ID, **changes: Any) -> dict[str, Any]:
    """``committees.plan.published`` data: declarations open 2024-04-01 .. 2024-06-30."""
    data: dict[str, Any] = {
        "plan_id": str(uuid.uuid5(committee_id, "plan-2024")),
        "committee_id": str(committee_id),
        "year": 2024,
        "series": "engineering",
        "levels": ["intermediate", "associate_senior", "senior"],
        "declaration_opens": "2024-04-01",
        "declaration_closes": "2024-06-30",
        "notice_date": "2024-03-01",
        "meeting_dates": ["2024-10-15"],
        "policy_pack": "shanxi-2024",
    }
    data.update(changes)
    return data
