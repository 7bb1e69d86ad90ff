"""The example declaration of the OpenAPI document (a declaration that passes every rule on 2024-05-01).

Tests start from the same declaration (their builders copy it); nothing here is only for tests.
"""

from __future__ import annotations

import uuid
from typing import Any

EXAMPLE_COMMITTEE_ID = uuid.UUID("0193a000-0000-7000-8000-000000000001")
#: A valid GB 11643 number of a man born 1985-06-01 in 太原市小店区 (check digit 9 by the standard's weights).
EXAMPLE_RESIDENT_ID = "140105198506011239"
#: A valid GB 32100 unified social credit code.
EXAMPLE_CREDIT_CODE = "91350100M000100Y43"

#: Intermediate → associate senior engineer, 太原, declared in 2024.
DECLARATION_EXAMPLE: dict[str, Any] = {
    "applicant": {
        "name": "张三",
        "gender": "male",
        "id_number": EXAMPLE_RESIDENT_ID,
        "birth_date": "1985-06-01",
        "education": {"level": "bachelor", "major": "土木工程", "graduated_on": "2007-07-01", "full_time": True},
        "employer": {
            "name": "太原市建筑设计研究院",
            "credit_code": EXAMPLE_CREDIT_CODE,
            "ownership": "public_institution",
            "region": "140100",
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
        "committee_id": str(EXAMPLE_COMMITTEE_ID),
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
