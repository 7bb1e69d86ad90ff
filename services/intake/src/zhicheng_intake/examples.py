"""Example declarations and committee events: OpenAPI examples, and the builders tests start from."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

COMMITTEE_ID = uuid.UUID("0193a000-0000-7000-8000-000000000001")
TAIYUAN = "140100"
CREDIT_CODE = "91350100M000100Y43"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(birth: date = date(1985, 6, 1), seq: int = 123, region: str = "140105") -> str:
    """A valid GB 11643 number for ``birth`` (``seq`` tells applicants apart)."""
    first = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first + "10X98765432"[sum(int(c) * w for c, w in zip(first, _WEIGHTS, strict=True)) % 11]


def declaration_body(**changes: Any) -> dict[str, Any]:
    """A declaration that passes every rule on 2024-05-01: intermediate → associate senior engineer."""
    birth = date(1985, 6, 1)
    body: dict[str, Any] = {
        "applicant": {
            "name": "张三",
            "gender": "male",
            "id_number": resident_id(birth),
            "birth_date": birth.isoformat(),
            "education": {"level": "bachelor", "major": "土木工程", "graduated_on": "2007-07-01", "full_time": True},
            "employer": {
                "name": "太原市建筑设计研究院",
                "credit_code": CREDIT_CODE,
                "ownership": "public_institution",
                "region": TAIYUAN,
            },
            "post": "结构设计",
            "practiced_specialty": "civil_construction",
            "employment_status": "in_service",
        },
        "target": {
            "year": 2024,
            "series": "engineering",
            "specialty": "civil_construction",
            "rank": "associate_senior",
            "committee_id": str(COMMITTEE_ID),
        },
        "kind": "normal",
        "current_title": {
            "series": "engineering",
            "rank": "intermediate",
            "obtained_on": "2018-12-01",
            "certificate_number": "1401002018000123",
        },
        "work_history": [{"employer_name": "太原市建筑设计研究院", "post": "结构设计", "start": "2007-07-15"}],
        "assessments": [{"year": y, "grade": "qualified"} for y in range(2018, 2024)],
        "achievements": [{"kind": "project", "title": "太原南站结构设计", "date": "2022-10-01", "level": "provincial"}],
        "continuing_education": [
            {"year": 2023, "subject_kind": "public", "hours": 30, "provider": "山西省专业技术人员继续教育平台"},
            {"year": 2023, "subject_kind": "professional", "hours": 60, "provider": "山西省土木建筑学会"},
        ],
        "channel": {"kind": "employer", "name": "太原市建筑设计研究院"},
    }
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
