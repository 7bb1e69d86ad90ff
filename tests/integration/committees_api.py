"""A committee with an open declaration window, made the way a province makes one: filed by the
committee's office and approved by the province's HR over the gateway, its plan published.

Tests of other services start from it instead of publishing committees' events into NATS
themselves: only the committees service may publish there (issue 10 §2), and the events intake
projects are then the real ones.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.clock import china_today

from .conftest import GATEWAY_URL, RunningSystem

SHANXI = "140000"
OFFICE_PASSWORD = "Office-2026-long"


def today_in_china() -> date:
    return china_today(datetime.now(UTC))


def plan_dates(today: date, levels: list[str]) -> dict[str, Any]:
    """A plan whose declaration window is open today and whose dates meet CM-7 and CM-8 exactly.

    CM-7 is checked on the day the plan is published (issue 12), i.e. today: the meeting is the
    first day that leaves 30 working days from today on, on the calendar the running services use
    (years nobody has described yet are counted provisionally, by the services and by this default
    calendar alike). NA-14 counts the act's own day when it is a working day, so on a weekend or a
    holiday the meeting is one working day later (a plan published on Saturday 2026-12-05 holds
    only 29 working days before 2027-01-18, the 30th working day after it).
    """
    cal = WorkingDayCalendar()
    meeting = cal.add_working_days(today, 30 if cal.is_working_day(today) else 31)
    dates: dict[str, Any] = {
        "year": meeting.year,
        "levels": levels,
        "declaration_opens": (today - timedelta(days=7)).isoformat(),
        "declaration_closes": (today + timedelta(days=7)).isoformat(),
        "notice_date": cal.working_days_before(meeting, 30).isoformat(),
        "meetings": [
            {
                "meeting_date": meeting.isoformat(),
                "pre_meeting_filing_date": cal.working_days_before(meeting, 5).isoformat(),
            }
        ],
    }
    crosses = any(
        date.fromisoformat(str(v)).year != meeting.year for v in (dates["declaration_opens"], dates["notice_date"])
    )
    if crosses or meeting > date(meeting.year, 11, 30):
        # CM-6: outside the pack's window only with the HR department's approval.
        dates["cross_year_exception"] = "晋人社厅函〔2026〕1号"
    return dates


def filing(*, levels: list[str], member_count: int) -> dict[str, Any]:
    """A Shanxi engineering committee's first filing (NA-1: the member count fits the level)."""
    return {
        "name": f"山西省工程技术职称评审委员会-{uuid.uuid4().hex[:6]}",
        "organizer_name": "山西省人力资源和社会保障厅",
        "organizer_credit_code": "91140100MA0K0A0A0N",
        "region": SHANXI,
        "kind": "government_hr",
        "formation_basis": "per_series",
        "series": "engineering",
        "levels": levels,
        "scope_regions": [SHANXI],
        "office": {
            "name": "评委会办公室",
            "address": "太原市",
            "contact_name": "王丽",
            "contact_phone": "0351-1234567",
        },
        "member_count": member_count,
        "policy_pack": "shanxi-2024",
    }


def login(username: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{GATEWAY_URL}/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def open_senior_engineering_committee(
    system: RunningSystem, admin: dict[str, str], *, today: date | None = None
) -> tuple[str, int]:
    """A senior engineering committee of Shanxi (副高级 and 正高级, 25 members: NA-1), approved by the
    province's HR (CM-3: senior committees only by it) and its plan published with a window open
    today. Returns the committee id and the plan's year, which declarations to it target."""
    office_name = f"office-{uuid.uuid4().hex[:8]}"
    system.create_user(
        admin,
        username=office_name,
        password=OFFICE_PASSWORD,
        name="评委会办公室",
        roles=["committee_office"],
        region=SHANXI,
    )
    office = login(office_name, OFFICE_PASSWORD)
    levels = ["associate_senior", "senior"]
    with httpx.Client(base_url=f"{GATEWAY_URL}/api/v1/committees", timeout=10) as client:
        response = client.post("/filings", json=filing(levels=levels, member_count=25), headers=office)
        assert response.status_code == 201, response.text
        filed = response.json()
        response = client.post(
            f"/filings/{filed['id']}/decision", json={"approve": True, "opinion": "同意核准备案"}, headers=admin
        )
        assert response.status_code == 200, response.text
        plan_in = plan_dates(today or today_in_china(), levels)  # today: a controlled clock's day
        response = client.post(f"/{filed['committee_id']}/plans", json=plan_in, headers=office)
        assert response.status_code == 201, response.text
        response = client.post(f"/plans/{response.json()['id']}/publication", headers=admin)
        assert response.status_code == 200, response.text
    return str(filed["committee_id"]), int(plan_in["year"])
