"""NATS permissions per service (issue 10 §2), against a real nats-server from the wheel running
the configuration the embedded stack generates (its own server, whatever ZC_NATS_URL names: the
point is the authentication it starts with).

Each service's key may publish only its own events and read only the producers the topology
lists for it, through durables of its own; the operator may administer and re-publish.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from zhicheng_common.embedded import EmbeddedNats, free_port
from zhicheng_common.events import permissions
from zhicheng_common.events.deadletters import list_dead_letters
from zhicheng_common.events.natsauth import connect_options, stack_authorization
from zhicheng_common.events.permissions import OPERATOR, SubjectSpace, durable_name
from zhicheng_common.events.streams import ensure_streams
from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import ALL_SERVICES

pytestmark = pytest.mark.service

Connect = Callable[[str], Awaitable[tuple[NatsClient, list[str]]]]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[CommonSettings, Connect]]:
    settings = CommonSettings(events_prefix="zcperm", data_dir=tmp_path, environment="test")
    auth = stack_authorization(tmp_path / "nats-keys", SubjectSpace.of(settings))
    nats_server = EmbeddedNats(tmp_path / "nats", free_port(), auth=auth)
    settings = settings.model_copy(update={"nats_url": nats_server.start()})
    clients: list[NatsClient] = []

    async def connect(principal: str) -> tuple[NatsClient, list[str]]:
        """Connect with the principal's own key; the list collects the server's refusals."""
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        nc = await nats.connect(
            settings.nats_url, error_cb=on_error, max_reconnect_attempts=0, **connect_options(settings, principal)
        )
        clients.append(nc)
        return nc, errors

    try:
        operator, _ = await connect(OPERATOR)
        await ensure_streams(operator.jetstream(), settings)
        yield settings, connect
    finally:
        for nc in clients:
            await nc.close()
        nats_server.stop()


async def stored(nc: NatsClient, settings: CommonSettings, subject: str) -> int:
    info = await nc.jetstream().stream_info(settings.stream_name, subjects_filter=subject)
    return int((info.state.subjects or {}).get(subject, 0))


async def refused(errors: list[str], fragment: str) -> bool:
    for _ in range(50):
        if any(fragment.lower() in e.lower() for e in errors):
            return True
        await asyncio.sleep(0.05)
    return False


@asynccontextmanager
async def operator_and_review(
    tmp_path: Path, prefix: str
) -> AsyncIterator[tuple[CommonSettings, NatsClient, NatsClient, list[str]]]:
    """A server with the deployment's permissions, the operator and review connected to it, and
    the permission errors review's connection reports."""
    settings = CommonSettings(events_prefix=prefix, data_dir=tmp_path, environment="test")
    nats_server = EmbeddedNats(
        tmp_path / "nats", free_port(), auth=stack_authorization(tmp_path / "keys", SubjectSpace.of(settings))
    )
    url = nats_server.start()
    settings = settings.model_copy(update={"nats_url": url, "nats_keys_dir": tmp_path / "keys"})
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    operator = await nats.connect(url, **connect_options(settings, OPERATOR))
    review = await nats.connect(url, error_cb=on_error, **connect_options(settings, "review"))
    try:
        yield settings, operator, review, errors
    finally:
        await review.close()
        await operator.close()
        nats_server.stop()


async def test_a_service_publishes_its_own_events_and_no_other_services(server: tuple[CommonSettings, Connect]) -> None:
    settings, connect = server
    operator, _ = await connect(OPERATOR)
    names = [info.name for info in ALL_SERVICES]
    for name in names:
        nc, errors = await connect(name)
        js = nc.jetstream()
        own = f"{settings.events_prefix}.{name}.thing.happened"
        ack = await js.publish(own, b"{}", headers={"Nats-Msg-Id": str(uuid.uuid4())})
        assert ack.stream == settings.stream_name
        for other in names:
            if other == name:
                continue
            foreign = f"{settings.events_prefix}.{other}.thing.happened"
            with pytest.raises(TimeoutError):  # the server drops it: no ack ever comes
                await js.publish(foreign, b"{}", timeout=0.2)
            assert await refused(errors, f'publish to "{foreign}"'), (name, other, errors)
    # One message on each service's own subject, published by itself; none of the refused ones.
    for name in names:
        count = await stored(operator, settings, f"{settings.events_prefix}.{name}.thing.happened")
        assert count == 1, (name, count)


async def test_a_service_reads_only_the_producers_it_consumes_through_its_own_durables(
    server: tuple[CommonSettings, Connect],
) -> None:
    settings, connect = server
    stream = settings.stream_name
    intake, intake_errors = await connect("intake")
    review, _ = await connect("review")
    await intake.jetstream().publish(f"{settings.events_prefix}.intake.declaration.submitted", b"{}")

    def config(durable: str, producer: str) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=durable,
            name=durable,
            filter_subject=f"{settings.events_prefix}.{producer}.>",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
        )

    # review consumes intake (topology): its durable reads intake's event.
    review_durable = durable_name("review", "intake")
    await review.jetstream().add_consumer(stream, config(review_durable, "intake"))
    # intake consumes committees, integrity and review, not experts and not itself.
    await intake.jetstream().add_consumer(stream, config(durable_name("intake", "committees"), "committees"))
    with pytest.raises(TimeoutError):
        await intake.jetstream().add_consumer(stream, config("intake-experts", "experts"), timeout=0.5)
    assert await refused(intake_errors, "consumer.create.zcperm.intake-experts.zcperm.experts.>")
    # A durable without its filter in the request (the legacy create) could read everything.
    with pytest.raises(TimeoutError):
        await intake.jetstream().add_consumer(stream, ConsumerConfig(durable_name="intake-all"), timeout=0.5)
    assert await refused(intake_errors, "consumer.durable.create.zcperm.intake-all")
    # Nor may intake take over review's durable, pull its messages or listen to its deliveries.
    with pytest.raises(TimeoutError):
        await intake.jetstream().add_consumer(stream, config(review_durable, "committees"), timeout=0.5)
    stolen = await intake.jetstream().pull_subscribe_bind(review_durable, stream=stream)
    with pytest.raises(TimeoutError):
        await stolen.fetch(1, timeout=0.5)
    assert await refused(intake_errors, f"consumer.msg.next.zcperm.{review_durable}")
    await intake.subscribe("_INBOX.review.>")
    assert await refused(intake_errors, 'subscription to "_inbox.review.>"')
    await intake.subscribe(f"{settings.events_prefix}.>")
    assert await refused(intake_errors, f'subscription to "{settings.events_prefix}.>"')

    # It may list the stream's consumers and delete a durable of its own, not another service's.
    await intake.jetstream().add_consumer(stream, config("intake-committee_approved", "committees"))
    names = {info.name for info in await intake.jetstream().consumers_info(stream)}
    assert {review_durable, "intake-committees", "intake-committee_approved"} <= names
    assert await intake.jetstream().delete_consumer(stream, "intake-committee_approved")
    with pytest.raises(TimeoutError):
        await intake.jetstream().delete_consumer(stream, review_durable)
    assert await refused(intake_errors, f"consumer.delete.zcperm.{review_durable}")

    # review still gets its message, once, and acks it.
    own = await review.jetstream().pull_subscribe_bind(review_durable, stream=stream)
    messages = await own.fetch(1, timeout=5)
    assert [m.subject for m in messages] == [f"{settings.events_prefix}.intake.declaration.submitted"]
    await messages[0].ack_sync()
    info = await review.jetstream().consumer_info(stream, review_durable)
    assert (info.num_pending, info.num_ack_pending, info.delivered.stream_seq) == (0, 0, 1)


async def test_a_service_writes_dead_letters_only_for_its_own_durables_and_the_operator_lists_them(
    server: tuple[CommonSettings, Connect],
) -> None:
    settings, connect = server
    intake, errors = await connect("intake")
    operator, _ = await connect(OPERATOR)
    dead_letters = f"{settings.events_prefix}-deadletter"
    headers = {"Zc-Consumer": "intake-committees", "Zc-Original-Subject": f"{settings.events_prefix}.committees.x.y"}
    await intake.jetstream().publish(f"{dead_letters}.intake-committees", b"{}", headers=headers)
    with pytest.raises(TimeoutError):
        await intake.jetstream().publish(f"{dead_letters}.review-intake", b"{}", timeout=0.5)
    assert await refused(errors, f'publish to "{dead_letters}.review-intake"')
    letters = await list_dead_letters(operator.jetstream(), settings)
    assert [letter.consumer for letter in letters] == ["intake-committees"]
    # The operator re-publishes a producer's event (replay, reconcile).
    ack = await operator.jetstream().publish(f"{settings.events_prefix}.committees.x.y", b"{}")
    assert ack.seq == 1


async def test_a_shared_kv_bucket_is_read_and_watched_by_services_and_written_by_its_writers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bucket the way a shared clock or calendar would be added: one entry in SHARED_BUCKETS.
    monkeypatch.setattr(permissions, "SHARED_BUCKETS", (permissions.SharedBucket("zcperm_clock"),))
    async with operator_and_review(tmp_path, "zcperm") as (_settings, operator, review, errors):
        written = await operator.jetstream().create_key_value(bucket="zcperm_clock")
        await written.put("now", b"2026-12-01T08:00:00+08:00")
        bucket = await review.jetstream().key_value("zcperm_clock")
        entry = await bucket.get("now")
        assert entry.value == b"2026-12-01T08:00:00+08:00"
        watcher = await bucket.watch("now")
        first = await watcher.updates(timeout=5)
        assert first is not None
        assert first.value == b"2026-12-01T08:00:00+08:00"
        assert await watcher.updates(timeout=5) is None  # nats-py's marker: the current values are all in
        await written.put("now", b"2026-12-02T08:00:00+08:00")
        moved = await watcher.updates(timeout=5)
        assert moved is not None
        assert moved.value == b"2026-12-02T08:00:00+08:00"
        await watcher.stop()
        with pytest.raises(TimeoutError):  # a reader may not move the clock
            # What KeyValue.put sends, with a short wait for the ack that never comes.
            await review.jetstream().publish("$KV.zcperm_clock.now", b"1999-01-01T00:00:00+08:00", timeout=0.5)
        assert await refused(errors, 'publish to "$kv.zcperm_clock.now"')


async def test_a_service_follows_the_calendar_bucket_that_only_the_operator_writes(tmp_path: Path) -> None:
    # issue 11 §5 with the deployment's real permissions: `zhicheng calendar load` (the operator)
    # writes ZCCAL_CALENDAR, review's CalendarFollower reads and watches it, review cannot write.
    from zhicheng_common.calendar import WorkingDayCalendar, statutory_holidays
    from zhicheng_common.calendar_store import CalendarFollower, calendar_bucket, parse_arrangement, store_arrangement

    async with operator_and_review(tmp_path, "zccal") as (settings, operator, review, errors):
        calendar = WorkingDayCalendar()
        seen: list[frozenset[int]] = []

        async def on_change(years: frozenset[int]) -> None:
            seen.append(years)

        follower = CalendarFollower(calendar, settings, on_change, retry_seconds=0.2)
        stop = asyncio.Event()
        task = asyncio.create_task(follower.run(review.jetstream(), stop))
        try:
            holidays = ", ".join(d.isoformat() for d in statutory_holidays(2027))
            arrangement = parse_arrangement(f"year: 2027\nholidays: [{holidays}, 2027-01-04]\n")
            assert await store_arrangement(operator.jetstream(), settings, arrangement)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.1)
            assert seen == [frozenset({2027})]
            assert not calendar.is_working_day(date(2027, 1, 4))
            bucket = calendar_bucket(settings)
            assert bucket == "ZCCAL_CALENDAR"
            with pytest.raises(TimeoutError):  # a service may not load a calendar
                await review.jetstream().publish(f"$KV.{bucket}.2027", b"{}", timeout=0.5)
            assert await refused(errors, f'publish to "$kv.{bucket.lower()}.2027"')
        finally:
            stop.set()
            await task
