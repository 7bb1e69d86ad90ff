"""The read model's pure rules: stage timelines in working days (NA-14), overdue, keyset cursors,
MT-5 rates and the chart shape; and every read-model route documented with examples."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.settings import CommonSettings
from zhicheng_gateway.app import create_app
from zhicheng_gateway.readmodel.domain import (
    Visit,
    chart,
    decode_cursor,
    encode_cursor,
    is_overdue,
    pass_rate,
    timeline,
)
from zhicheng_gateway.settings import GatewaySettings

from .test_feeds_and_keys_documented import has_examples

CALENDAR = WorkingDayCalendar()


def visit(stage: str, day: date, hour: int = 4) -> Visit:
    return Visit(uuid.uuid4(), stage, datetime(day.year, day.month, day.day, hour, tzinfo=UTC), day)


def test_NA_14_a_stage_lasts_the_working_days_after_its_entry_up_to_the_day_it_is_left() -> None:
    visits = [
        visit("qualified", date(2024, 9, 26)),
        visit("submitted", date(2024, 9, 20)),
        visit("passed", date(2024, 10, 9)),
    ]
    out = timeline(visits, CALENDAR.working_days_between)
    # Arrival order does not matter: by time. 20 Sep (Fri) → 26 Sep: 23-26 Sep = 4.
    # 26 Sep → 9 Oct: 27 Sep, the make-up Sunday 29 Sep, 30 Sep, 8 and 9 Oct (1-7 Oct are holidays) = 5.
    assert [(v.stage, v.working_days, v.left_on) for v in out] == [
        ("submitted", 4, date(2024, 9, 26)),
        ("qualified", 5, date(2024, 10, 9)),
        ("passed", None, None),
    ]


def test_NA_14_a_stage_is_overdue_from_the_day_after_its_due_date() -> None:
    assert not is_overdue("returned", date(2024, 3, 11), date(2024, 3, 11))
    assert is_overdue("returned", date(2024, 3, 11), date(2024, 3, 12))
    assert not is_overdue("certified", date(2024, 3, 11), date(2024, 3, 12))
    assert not is_overdue("returned", None, date(2024, 3, 12))


def test_a_cursor_belongs_to_its_sort_and_order() -> None:
    cursor = encode_cursor("obtained_on:desc", [date(2026, 3, 23), "ZC-1"])
    assert decode_cursor(cursor, "obtained_on:desc") == ["2026-03-23", "ZC-1"]
    assert decode_cursor(cursor, "obtained_on:asc") is None
    assert decode_cursor("not a cursor!", "obtained_on:desc") is None


def test_MT_5_the_pass_rate_is_passed_over_evaluated_and_charts_take_one_series_per_measure() -> None:
    assert pass_rate(2, 3) == 0.6667
    assert pass_rate(0, 0) is None
    rows = [{"key": "太原", "declared": 3, "qualified": 2, "evaluated": 2, "passed": 1, "overdue": 0, "pass_rate": 0.5}]
    shaped = chart("city", rows)
    assert shaped["categories"] == ["太原"]
    assert {"name": "pass_rate", "data": [0.5]} in shaped["series"]


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory: Path = tmp_path_factory.mktemp("readmodel-doc")
    app = create_app(
        CommonSettings(environment="test", data_dir=directory, keys_dir=directory / "k"), GatewaySettings()
    )
    built: dict[str, Any] = app.openapi()
    return built


def test_every_read_model_route_has_examples(document: dict[str, Any]) -> None:
    walked = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/province"):
            continue
        for method, operation in item.items():
            walked.append(f"{method.upper()} {path}")
            success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            for media in success.get("content", {}).values():
                assert has_examples(media, document), f"{method} {path} response"
    # 12 for staff (the DA-1 workbook the last), and the 6 statistics and export routes' twins for
    # an agency's key (scope query).
    assert len(walked) == 18, walked
