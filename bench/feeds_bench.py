"""Inter-agency feeds: events/s into the feed log and out of signed pull pages (issue 17).

Run: ``.venv/bin/python -m bench.feeds_bench`` (embedded PostgreSQL and NATS); it rewrites its
section of bench/RESULTS.md.

The gateway app runs in this process (its lifespan: the six ``gateway-feeds-<producer>`` durables,
the relay, the scheduler). Each run publishes N events the way intake does (one message per event,
``Nats-Msg-Id`` = event id) on a region of its own, and measures

* *ingest*: from the first publish until the feed log holds all N (durable fetch, inbox claim,
  the feed-log lock and insert, commit, ack);
* *pull*: an agency's key reading them all in pages of 1,000 over HTTP (in-process ASGI, no
  network), each page selected in SQL by type, jurisdiction and cursor, projected to the
  subscription's fields and signed with Ed25519.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.stack import BenchStack, bench_stack, machine, write_section
from zhicheng_common.auth import Principal
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import publish_event, run_sql, serving
from zhicheng_gateway.app import create_app
from zhicheng_gateway.feeds import service as feeds
from zhicheng_gateway.feeds.schemas import SubscriptionCreate
from zhicheng_gateway.keys import service as keys
from zhicheng_gateway.keys.schemas import ApiKeyCreate
from zhicheng_gateway.settings import MIGRATIONS_DIR, GatewaySettings

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Feeds: events into the feed log and out of signed pull pages"
RUNS = 3
EVENTS = 2000
ADMIN = Principal(subject="bench-admin", roles=frozenset({"province_admin"}), region="140000", name="bench")


async def one_run(
    app: object, client: object, common: CommonSettings, nats: object, run: int, count: int
) -> tuple[float, float]:
    import httpx
    from nats.js.client import JetStreamContext

    assert isinstance(client, httpx.AsyncClient)
    assert isinstance(nats, JetStreamContext)
    region = f"1401{run + 10:02d}"
    name = f"bench-{run}-{uuid.uuid4().hex[:6]}"
    database = app.state.database  # type: ignore[attr-defined]
    async with database.unit_of_work() as session:
        subscription, _ = await feeds.create_subscription(
            session,
            actor=ADMIN,
            subscription_in=SubscriptionCreate(
                name=name,
                agency="bench",
                region=region,
                fields={"intake.declaration.withdrawn": ["declaration_id"]},
            ),
            context=app.state.feeds,  # type: ignore[attr-defined]
        )
        _, secret = await keys.issue_key(
            session,
            actor=ADMIN,
            key_in=ApiKeyCreate(name="bench", holder="bench", region=region, scopes=[f"feed:{name}"], quota=1_000_000),
            settings=app.state.gateway_settings,  # type: ignore[attr-defined]
        )
    started = time.perf_counter()
    for _ in range(count):
        declaration = str(uuid.uuid4())
        await publish_event(
            nats,
            common.events_prefix,
            "intake.declaration.withdrawn",
            {"declaration_id": declaration},
            subject=declaration,
            region=region,
        )
    while True:
        rows = await run_sql(common, "gateway", "SELECT count(*) FROM gateway.feed_events WHERE region = :r", r=region)
        if rows[0][0] >= count:
            break
        await asyncio.sleep(0.05)
    ingest = count / (time.perf_counter() - started)

    started = time.perf_counter()
    after, received = "0", 0
    while True:
        response = await client.get(
            f"/api/v1/feeds/{subscription.id}/events",
            params={"after": after, "limit": 1000},
            headers={"X-API-Key": secret},
        )
        page = response.json()
        received += len(page["events"])
        after = page["next_cursor"]
        if not page["has_more"]:
            break
    assert received == count, received
    pull = count / (time.perf_counter() - started)
    return ingest, pull


async def run_feeds_bench(stack: BenchStack, *, runs: int = RUNS, count: int = EVENTS) -> list[tuple[float, float]]:
    import nats

    with TemporaryDirectory(prefix="zc-feeds-") as tmp:
        common = CommonSettings(
            environment="test",
            log_level="WARNING",
            database_url=stack.database_url,
            nats_url=stack.nats_url,
            events_prefix=stack.prefix,
            data_dir=Path(tmp),
            keys_dir=Path(tmp) / "keys",
        )
        upgrade(MIGRATIONS_DIR, stack.database_url)
        app = create_app(common, GatewaySettings(admin_username=""))
        nc = await nats.connect(stack.nats_url)
        try:
            async with serving(app, "http://gateway.bench") as client:
                return [await one_run(app, client, common, nc.jetstream(), run, count) for run in range(runs)]
        finally:
            await nc.close()


def section(results: list[tuple[float, float]], count: int) -> str:
    lines = [
        HEADING,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
        "`.venv/bin/python -m bench.feeds_bench`. The machine was shared with other engineers' test runs "
        "at the time, so the figures are lower bounds.",
        f"Each run: {count} events of one region published one after the other (each awaiting its ack) "
        "and taken by the gateway's `gateway-feeds-intake` durable into the feed log (*ingest*, publishing "
        "included), then read back by an agency key in signed pages of 1,000 (*pull*).",
        "",
        "| run | ingest events/s | pull events/s |",
        "|---|---|---|",
    ]
    lines += [f"| {i + 1} | **{ingest:,.0f}** | **{pull:,.0f}** |" for i, (ingest, pull) in enumerate(results)]
    lines += [
        "",
        "Ingest is paced by the one publisher awaiting each ack (the NATS we ship syncs every write): a lower "
        "bound of what the feed durable takes, not its ceiling. The pull's spread follows the other test runs "
        "sharing the machine; each page costs one SQL selection, the projection and one Ed25519 signature.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()
    from zhicheng_common.logging import configure_logging

    configure_logging("bench", level="WARNING")
    with bench_stack() as stack:
        results = asyncio.run(run_feeds_bench(stack, runs=args.runs, count=args.events))
    text = section(results, args.events)
    if not args.no_write:
        write_section(RESULTS, HEADING, text)
    print(text)


if __name__ == "__main__":
    main()
