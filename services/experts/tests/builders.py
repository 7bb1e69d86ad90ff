"""Test builders shared by the experts' unit and service tests (``services.experts.tests.builders``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from zhicheng_common.series import Rank
from zhicheng_experts.draw.domain import Expert, Term


def expert(number: int, **changes: Any) -> Expert:
    """Expert ``e0042`` of unit ``U0042``: active, 副高 in engineering/civil, in term over 2023-2025."""
    base = Expert(
        id=f"e{number:04d}",
        resident_id_hash=f"person-{number:04d}",
        unit_credit_code=f"U{number:04d}",
        ownership_kind="public_institution",
        series="engineering",
        specialties=("civil",),
        rank_held=Rank.ASSOCIATE_SENIOR,
        terms=(Term(date(2023, 1, 1), date(2025, 12, 31)),),
        status="active",
    )
    return replace(base, **changes)
