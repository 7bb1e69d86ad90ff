"""Stream provisioning: the duplicate window and the retention limits come from settings."""

from __future__ import annotations

import uuid

import pytest

from zhicheng_common.events.streams import connect, ensure_streams
from zhicheng_common.settings import CommonSettings

pytestmark = pytest.mark.service

DAY = 24 * 3600


async def test_streams_take_their_limits_from_settings_and_follow_a_change(zc_settings: CommonSettings) -> None:
    settings = zc_settings.model_copy(
        update={
            "events_prefix": f"zcs{uuid.uuid4().hex[:8]}",
            "events_duplicate_window_seconds": 120,
            "events_max_age_days": 30,
            "events_max_bytes": 64 * 1024 * 1024,
            "dead_letters_max_age_days": 90,
        }
    )
    nc = await connect(settings.nats_url, name="streams-test")
    js = nc.jetstream()
    try:
        await ensure_streams(js, settings)
        events = (await js.stream_info(settings.stream_name)).config
        assert events.duplicate_window == 120
        assert events.max_age == 30 * DAY
        assert events.max_bytes == 64 * 1024 * 1024
        dead = (await js.stream_info(settings.dead_letter_stream_name)).config
        assert dead.max_age == 90 * DAY
        # An operator lifts the limit: the next start updates the stream in place.
        await ensure_streams(js, settings.model_copy(update={"events_max_age_days": 0, "events_max_bytes": -1}))
        events = (await js.stream_info(settings.stream_name)).config
        assert not events.max_age
        assert events.max_bytes == -1
    finally:
        for name in (settings.stream_name, settings.dead_letter_stream_name):
            await js.delete_stream(name)
        await nc.close()
