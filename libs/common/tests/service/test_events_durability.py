"""Durability beyond NATS (issue 10 §3): the broker loses acknowledged events, the outbox does not.

During a run of 1,000 events, NATS is killed with SIGKILL and its stream's message files are
truncated, which is what a power cut leaves of writes not yet synced to disk. After the restart,
`zhicheng events reconcile` re-publishes from the outbox, and the consumer has applied every one
of the 1,000 events, each once. The test runs its own nats-server (it kills it), with the
principals' keys as the embedded stack has them.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import PIPE

import pytest

from zhicheng_common.cli import migrate_all
from zhicheng_common.db import Database
from zhicheng_common.embedded import EmbeddedNats, free_port
from zhicheng_common.events.natsauth import connect_as, stack_authorization
from zhicheng_common.events.permissions import OPERATOR, SubjectSpace
from zhicheng_common.events.reconcile import ServiceDatabase, find_gaps
from zhicheng_common.events.streams import ensure_streams
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import in_thread, wait_until

from . import conftest as kit

pytestmark = pytest.mark.service

ZHICHENG = Path(sys.executable).with_name("zhicheng")
DURABLE = "committees.evtdurable.happened"
EVENTS = 1000


DurableThingHappened = kit.numbered_thing("one of the 1,000 events of the crash run.")


def truncate_stream_files(nats_server: EmbeddedNats, stream: str) -> int:
    """Empty every message block of ``stream``: what the disk holds of unsynced writes after a power cut."""
    blocks = sorted((nats_server.data_dir / "jetstream").glob(f"*/streams/{stream}/msgs/*.blk"))
    for block in blocks:
        block.write_bytes(b"")
    return len(blocks)


@pytest.fixture(scope="module")
def every_schema(event_schemas: CommonSettings) -> CommonSettings:
    """Every service's schema, as in a deployment: the operator's commands read them all."""
    in_thread(lambda: migrate_all(event_schemas.database_url))
    return event_schemas


async def test_after_a_crash_that_loses_acked_events_reconcile_gets_every_event_applied_once(
    every_schema: CommonSettings, producer_db: Database, consumer_db: Database, tmp_path: Path
) -> None:
    settings = every_schema.model_copy(
        update={"events_prefix": f"zcdur{secrets.token_hex(3)}", "nats_keys_dir": tmp_path / "nats-keys"}
    )
    auth = stack_authorization(tmp_path / "nats-keys", SubjectSpace.of(settings))
    nats_server = EmbeddedNats(tmp_path / "nats", free_port(), auth=auth)
    settings = settings.model_copy(update={"nats_url": nats_server.start()})
    started = datetime.now(UTC) - timedelta(seconds=1)
    clients = [await connect_as(settings, name) for name in (kit.PRODUCER, kit.CONSUMER, OPERATOR)]
    relay_js, consumer_js, operator_js = (nc.jetstream() for nc in clients)
    try:
        await ensure_streams(operator_js, settings)
        relay = kit.make_relay(settings, relay_js, producer_db)
        consumer = kit.make_consumer(settings, consumer_js, consumer_db, name="evt-durable", subject=DURABLE)
        await consumer.ensure()  # its durable exists through the crash, as a deployed consumer's does
        with kit.registered(DURABLE, DurableThingHappened):
            # The consumer (lagging, or down like the broker) takes the stream only once NATS is back,
            # so what the crash lost was not applied before it: fast consumers made that a race.
            async with kit.running(relay):
                committing = asyncio.create_task(
                    kit.commit_events(
                        producer_db, lambda n: DurableThingHappened(n=n), EVENTS, per_unit=1, concurrency=4
                    )
                )
                # Mid-run: a good part published and acked, more still being committed.
                await wait_until(lambda: relay.published_count >= 300, timeout=60, what="300 events published")
                nats_server.kill()
                assert truncate_stream_files(nats_server, settings.stream_name) >= 1
                await asyncio.sleep(1.0)  # the producers keep committing; the relay retries meanwhile
                nats_server.start()
                await committing
                await wait_until(lambda: kit.none_unpublished(producer_db), timeout=60, what="the outbox relayed")
                stream = await operator_js.stream_info(settings.stream_name)
                # The crash lost events the relay had seen acknowledged (else this test shows nothing),
                # and once the consumer has taken all the stream holds, those are still not applied.
                assert stream.state.messages < EVENTS, stream.state
                async with kit.running(consumer):
                    await wait_until(
                        lambda: kit.drained(operator_js, settings, consumer.durable), timeout=60, what="drained"
                    )
                    lost = EVENTS - await kit.inbox_count(consumer_db, consumer.durable)
                    assert lost > 0
                    # The operator's check sees exactly those, and fails.
                    out = await _zhicheng(
                        settings,
                        "events",
                        "check",
                        "--since",
                        started.isoformat(),
                        "--settle-seconds",
                        "0",
                        returncode=1,
                    )
                    assert f"{consumer.durable:<36} {EVENTS - lost:>7}/{EVENTS:<7} applied  MISSING {lost}\n" in out

                    out = await _zhicheng(
                        settings, "events", "reconcile", "--since", started.isoformat(), "--service", kit.PRODUCER
                    )
                    assert f"{kit.PRODUCER:<14} re-publishing {EVENTS} event(s)" in out

                    async def all_applied() -> bool:
                        return await kit.inbox_count(consumer_db, consumer.durable) == EVENTS

                    await wait_until(all_applied, timeout=120, what="every event applied after reconcile")
                    await wait_until(lambda: kit.none_unpublished(producer_db), timeout=60, what="re-published")

        out = await _zhicheng(settings, "events", "check", "--since", started.isoformat(), "--settle-seconds", "0")
        assert f"{consumer.durable:<36} {EVENTS:>7}/{EVENTS:<7} applied  ok\n" in out
        result = await kit.effects(consumer_db, "evt-durable")
        assert (result.rows, result.distinct_events) == (EVENTS, EVENTS)  # each once
        gaps = await find_gaps(
            operator_js,
            settings,
            [
                ServiceDatabase(kit.PRODUCER, settings.database_url),
                ServiceDatabase(kit.CONSUMER, settings.database_url),
            ],
            since=started,
        )
        mine = [gap for gap in gaps if gap.consumer == consumer.durable]
        assert [(g.expected, g.applied, g.missing) for g in mine] == [(EVENTS, EVENTS, ())]
    finally:
        for nc in clients:
            await nc.close()
        nats_server.stop()


async def _zhicheng(settings: CommonSettings, *args: str, returncode: int = 0) -> str:
    """The operator's command, with the operator's key and the session's database."""
    env = {
        "ZC_DATABASE_URL": settings.database_url,
        "ZC_NATS_URL": settings.nats_url,
        "ZC_EVENTS_PREFIX": settings.events_prefix,
        "ZC_NATS_KEYS_DIR": str(settings.nats_keys_path),
        "ZC_ENVIRONMENT": "test",
        "PATH": "/usr/bin:/bin",
    }
    process = await asyncio.create_subprocess_exec(str(ZHICHENG), *args, env=env, stdout=PIPE, stderr=PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == returncode, out.decode() + err.decode()
    return out.decode()
