"""Bodies of the read model's routes: certificates, declarations, committees, meetings, integrity
records, statistics and exports, each with an example."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CERTIFICATE_EXAMPLE: dict[str, Any] = {
    "certificate_number": "ZC-140000-2026-000123",
    "region": "140105",
    "holder_name": "张三",
    "series": "engineering",
    "specialty": "civil",
    "level": "senior",
    "title_name": "高级工程师",
    "committee_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e11",
    "year": 2026,
    "obtained_on": "2026-11-20",
    "issued_at": "2026-11-21T02:00:00Z",
    "basis": "evaluation",
    "status": "valid",
    "status_at": None,
    "declaration_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e33",
}


class CertificateRead(BaseModel):
    """A certificate in the read model; the holder by name (never the resident ID number)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CERTIFICATE_EXAMPLE]})

    certificate_number: str
    region: str
    holder_name: str | None = Field(description="the holder's name; null when it cannot be opened here")
    series: str
    specialty: str
    level: str
    title_name: str
    committee_id: uuid.UUID | None
    year: int
    obtained_on: date
    issued_at: datetime
    basis: str
    status: str = Field(description="valid, revoked, suspended or superseded")
    status_at: datetime | None
    declaration_id: uuid.UUID | None


class CertificatePage(BaseModel):
    """One page; ask again with ``after=next_cursor`` (same sort and order) until it is null."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [CERTIFICATE_EXAMPLE], "next_cursor": None}]})

    items: list[CertificateRead]
    next_cursor: str | None


class StageVisitRead(BaseModel):
    stage: str
    entered_on: date
    left_on: date | None
    working_days: int | None = Field(description="working days after entering up to leaving (NA-14); null while in it")
    due: date | None


DECLARATION_EXAMPLE: dict[str, Any] = {
    "declaration_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e33",
    "region": "140105",
    "year": 2026,
    "series": "engineering",
    "specialty": "civil",
    "level": "senior",
    "committee_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e11",
    "employer_name": "太原市建筑设计院",
    "stage": "returned",
    "stage_since": "2026-09-02T01:00:00Z",
    "due": "2026-09-09",
    "overdue": False,
    "returned_count": 1,
    "result": None,
    "certificate_number": None,
    "stages": [
        {"stage": "submitted", "entered_on": "2026-09-01", "left_on": "2026-09-02", "working_days": 1, "due": None},
        {"stage": "returned", "entered_on": "2026-09-02", "left_on": None, "working_days": None, "due": "2026-09-09"},
    ],
}


class DeclarationRead(BaseModel):
    """A declaration's stage and the working days it spent in each one."""

    model_config = ConfigDict(json_schema_extra={"examples": [DECLARATION_EXAMPLE]})

    declaration_id: uuid.UUID
    region: str
    year: int | None
    series: str | None
    specialty: str | None
    level: str | None
    committee_id: uuid.UUID | None
    employer_name: str | None
    stage: str
    stage_since: datetime
    due: date | None
    overdue: bool
    returned_count: int
    result: str | None
    certificate_number: str | None
    stages: list[StageVisitRead]


class DeclarationPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [DECLARATION_EXAMPLE], "next_cursor": None}]})

    items: list[DeclarationRead]
    next_cursor: str | None


class CommitteeRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "committee_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e11",
                    "region": "140100",
                    "name": "太原市工程系列中级职称评审委员会",
                    "kind": "intermediate",
                    "organizer_name": "太原市人力资源和社会保障局",
                    "series": "engineering",
                    "levels": ["intermediate"],
                    "specialties": [],
                    "status": "approved",
                    "valid_from": "2026-01-01",
                    "valid_until": "2028-12-31",
                }
            ]
        },
    )

    committee_id: uuid.UUID
    region: str
    name: str
    kind: str | None
    organizer_name: str | None
    series: str | None
    levels: list[str]
    specialties: list[str]
    status: str
    valid_from: date | None
    valid_until: date | None


class CommitteeList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": CommitteeRead.model_config["json_schema_extra"]["examples"]}]}  # type: ignore[index]
    )

    items: list[CommitteeRead]


class MeetingRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "meeting_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e44",
                    "committee_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e11",
                    "region": "140100",
                    "meeting_date": "2026-11-10",
                    "state": "confirmed",
                    "applicant_count": 40,
                    "members": 25,
                    "attending": 23,
                    "evaluated_count": 40,
                    "passed_count": 28,
                    "document_number": "并人社职字〔2026〕12号",
                    "confirmed_on": "2026-11-20",
                }
            ]
        },
    )

    meeting_id: uuid.UUID
    committee_id: uuid.UUID
    region: str
    meeting_date: date | None
    state: str
    applicant_count: int | None
    members: int | None
    attending: int | None
    evaluated_count: int | None
    passed_count: int | None
    document_number: str | None
    confirmed_on: date | None


class MeetingList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": MeetingRead.model_config["json_schema_extra"]["examples"]}]}  # type: ignore[index]
    )

    items: list[MeetingRead]


class IntegrityRecordRead(BaseModel):
    """An integrity record (IN-2): its kind, validity and effects; the subject by keyed hash only."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "record_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e55",
                    "region": "140105",
                    "subject_kind": "person",
                    "kind": "falsification",
                    "state": "in_force",
                    "valid_from": "2026-06-01",
                    "valid_until": "2029-05-31",
                    "effects": {"bar_declaring": True},
                    "rule_ids": ["IN-1", "IN-2"],
                }
            ]
        },
    )

    record_id: uuid.UUID
    region: str
    subject_kind: str
    kind: str
    state: str
    valid_from: date
    valid_until: date
    effects: dict[str, Any]
    rule_ids: list[str]


class IntegrityRecordList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": IntegrityRecordRead.model_config["json_schema_extra"]["examples"]}]}  # type: ignore[index]
    )

    items: list[IntegrityRecordRead]


STATISTICS_EXAMPLE: dict[str, Any] = {
    "dimension": "city",
    "as_of": "2026-12-03",
    "rows": [
        {
            "key": "140100",
            "label": "140100",
            "declared": 120,
            "qualified": 100,
            "evaluated": 90,
            "passed": 60,
            "pass_rate": 0.6667,
            "overdue": 3,
            "stage_days": {"submitted": {"median": 4.0, "p90": 9.0}},
        }
    ],
    "chart": {
        "dimension": "city",
        "categories": ["140100"],
        "series": [{"name": "declared", "data": [120]}, {"name": "pass_rate", "data": [0.6667]}],
    },
}


class StageDays(BaseModel):
    median: float | None
    p90: float | None


class StatisticsRow(BaseModel):
    key: str | None
    label: str
    declared: int
    qualified: int
    evaluated: int
    passed: int
    pass_rate: float | None = Field(description="passed / evaluated (MT-5); null when none was evaluated")
    overdue: int
    stage_days: dict[str, StageDays] = Field(description="working days per stage (NA-14), closed visits only")


class Statistics(BaseModel):
    """MT-5 statistics per group, with a chart-ready view: categories and one series per measure."""

    model_config = ConfigDict(json_schema_extra={"examples": [STATISTICS_EXAMPLE]})

    dimension: str
    as_of: date
    rows: list[StatisticsRow]
    chart: dict[str, Any]


DA1_EXAMPLE: dict[str, Any] = {
    "certificate_number": "ZC-140000-2026-000123",
    "name": "张三",
    "gender": "male",
    "highest_education": "bachelor",
    "major": "土木工程",
    "practiced_specialty": "civil",
    "field": "engineering",
    "title": "高级工程师",
    "level": "senior",
    "employer_name": "太原市建筑设计院",
    "channel": "unit",
    "year": 2026,
    "region": "140105",
}


class Da1Row(BaseModel):
    """DA-1 for everyone (public units, enterprises, freelancers).

    Highest education and the major studied come sealed with ``intake.declaration.submitted`` v3;
    they are null for a certificate without a declaration (a direct recognition) and for one whose
    declaration was submitted before v3.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [DA1_EXAMPLE]})

    certificate_number: str
    name: str | None
    gender: str | None
    highest_education: str | None = Field(description="secondary_vocational, college, bachelor, master, doctorate")
    major: str | None = Field(description="the major studied for it")
    practiced_specialty: str
    field: str
    title: str
    level: str
    employer_name: str | None
    channel: str | None
    year: int
    region: str


class Da1Page(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [DA1_EXAMPLE], "next_after": None}]})

    items: list[Da1Row]
    next_after: str | None = Field(description="ask again with after=next_after; null on the last page")


class AnnualReport(BaseModel):
    """DA-2: a year's evaluation data in one document (per committee, series and level, and certificates)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2026,
                    "region": "140000",
                    "totals": {"declared": 120, "qualified": 100, "evaluated": 90, "passed": 60, "pass_rate": 0.6667},
                    "by_committee": [],
                    "by_series": [],
                    "by_level": [],
                    "certificates": [{"series": "engineering", "level": "senior", "issued": 60, "revoked": 0}],
                }
            ]
        }
    )

    year: int
    region: str
    totals: dict[str, Any]
    by_committee: list[StatisticsRow]
    by_series: list[StatisticsRow]
    by_level: list[StatisticsRow]
    certificates: list[dict[str, Any]]
