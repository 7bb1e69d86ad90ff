"""Durability beyond NATS (issue 10 §3), pure parts: the outbox outlives the stream, subject
matching of the check, and the operator's ``--since``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import typer
from pydantic import ValidationError

from zhicheng_common.cli import parse_since
from zhicheng_common.events.reconcile import subject_matches
from zhicheng_common.settings import CommonSettings


def test_the_outbox_keeps_published_rows_for_ever_while_the_stream_does() -> None:
    assert CommonSettings().outbox_retention is None  # events_max_age_days=0: the stream keeps all


def test_the_outbox_follows_the_streams_age_limit() -> None:
    assert CommonSettings(events_max_age_days=30).outbox_retention == timedelta(days=30)
    # Longer than the stream is allowed: 31 days = 744 hours.
    assert CommonSettings(events_max_age_days=30, outbox_retention_hours=744).outbox_retention == timedelta(days=31)


def test_an_outbox_retention_shorter_than_the_stream_is_refused() -> None:
    with pytest.raises(ValidationError, match="shorter than the stream keeps events \\(30 days\\)"):
        CommonSettings(events_max_age_days=30, outbox_retention_hours=24)  # 24 h < 720 h
    with pytest.raises(ValidationError, match="for ever"):
        CommonSettings(outbox_retention_hours=24)


def test_nats_keys_default_to_the_data_folder() -> None:
    assert CommonSettings(data_dir=Path("/srv/zc")).nats_keys_path == Path("/srv/zc/nats-keys")
    assert CommonSettings(data_dir=Path("/srv/zc"), nats_keys_dir=Path("/k")).nats_keys_path == Path("/k")


@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        ("zc.committees.>", "zc.committees.committee.approved", True),
        ("zc.committees.>", "zc.committees", False),  # > needs at least one token
        ("zc.committees.committee.approved", "zc.committees.committee.approved", True),
        ("zc.committees.committee.approved", "zc.committees.committee.approved.x", False),
        ("zc.*.committee.approved", "zc.committees.committee.approved", True),
        ("zc.*.committee.approved", "zc.intake.declaration.submitted", False),
        ("zc.intake.>", "zc.intakex.declaration.submitted", False),
    ],
)
def test_subject_matching_follows_nats_wildcards(pattern: str, subject: str, matches: bool) -> None:
    assert subject_matches(pattern, subject) is matches


def test_since_takes_iso_times_and_spans_back_from_now() -> None:
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert parse_since("90m", now=now) == datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    assert parse_since("6h", now=now) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert parse_since("2d", now=now) == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    china = timezone(timedelta(hours=8))
    assert parse_since("2026-12-01T07:50+08:00") == datetime(2026, 12, 1, 7, 50, tzinfo=china)
    with pytest.raises(typer.BadParameter):
        parse_since("yesterday")
