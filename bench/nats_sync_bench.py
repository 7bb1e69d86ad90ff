"""JetStream's sync policy side by side: the server default against ``sync_interval: always``.

`.venv/bin/python bench/nats_sync_bench.py` starts the wheel's nats-server once per policy and run
(a fresh store each time, file storage, one replica), publishes 400-byte messages from one client
with ``publish_async`` (acks collected as they come) and awaited one by one, and writes its
section of bench/RESULTS.md. The choice it informs is zhicheng_common.embedded.SYNC_INTERVAL.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import nats
from nats.js.api import StorageType, StreamConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import machine
from zhicheng_common.embedded import EmbeddedNats, free_port, nats_server_binary

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## NATS sync policy: default against `sync_interval: always`"
PAYLOAD = b"x" * 400
ASYNC_MESSAGES = 20_000
AWAITED_MESSAGES = 2_000
RUNS = 3
# None: the key left out, so the server's default (a flush every two minutes) applies.
POLICIES: dict[str, str | None] = {"default (2m)": None, "always": "always"}


@dataclass(frozen=True)
class Rates:
    policy: str
    run: int
    async_rate: float
    awaited_rate: float


async def measure(url: str) -> tuple[float, float]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name="SYNCBENCH", subjects=["syncbench.>"], storage=StorageType.FILE))
        started = time.perf_counter()
        for n in range(ASYNC_MESSAGES):
            await js.publish_async(f"syncbench.async.{n % 16}", PAYLOAD)
        await js.publish_async_completed()
        async_rate = ASYNC_MESSAGES / (time.perf_counter() - started)
        started = time.perf_counter()
        for n in range(AWAITED_MESSAGES):
            await js.publish(f"syncbench.awaited.{n % 16}", PAYLOAD)
        awaited_rate = AWAITED_MESSAGES / (time.perf_counter() - started)
        info = await js.stream_info("SYNCBENCH")
        assert info.state.messages == ASYNC_MESSAGES + AWAITED_MESSAGES, info.state
        return async_rate, awaited_rate
    finally:
        await nc.close()


def run_once(policy: str, sync_interval: str | None, run: int) -> Rates:
    with TemporaryDirectory(prefix="zc-syncbench-") as tmp:
        server = EmbeddedNats(Path(tmp) / "nats", free_port(), sync_interval=sync_interval)
        url = server.start()
        try:
            async_rate, awaited_rate = asyncio.run(measure(url))
        finally:
            server.stop()
    return Rates(policy, run, async_rate, awaited_rate)


def server_version() -> str:
    import subprocess

    return subprocess.run([str(nats_server_binary()), "--version"], capture_output=True, text=True).stdout.strip()


def section(results: list[Rates]) -> str:
    rows = []
    for policy in POLICIES:
        mine = [r for r in results if r.policy == policy]
        rows.append(
            f"| `{policy}` | {' / '.join(f'{r.async_rate:,.0f}' for r in mine)} | "
            f"{' / '.join(f'{r.awaited_rate:,.0f}' for r in mine)} |"
        )
    return "\n".join(
        [
            HEADING,
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; {server_version()} from the wheel;",
            "`.venv/bin/python bench/nats_sync_bench.py`. The machine is shared with other developers' test runs,",
            "so the figures move from run to run: read the ratio more than the absolute numbers.",
            f"One client, {len(PAYLOAD)}-byte messages, a fresh file store per run: {ASYNC_MESSAGES:,} messages with",
            f"`publish_async` (acks gathered at the end), then {AWAITED_MESSAGES:,} awaited one by one.",
            "",
            "| sync policy | publish_async, messages/s (runs 1 / 2 / 3) | awaited one by one, messages/s (1 / 2 / 3) |",
            "|---|---|---|",
            *rows,
            "",
            "Every configuration we ship sets `sync_interval: always` (zhicheng_common.embedded.SYNC_INTERVAL,",
            "docker-compose.yml, deploy/kubernetes/nats/configmap.yaml; docs/nats.md says why).",
            "",
        ]
    )


def write_section(text: str) -> None:
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    found = pattern.search(current) is not None
    updated = pattern.sub(lambda _: text, current) if found else current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(updated)


def main() -> None:
    results = []
    for run in range(1, RUNS + 1):
        # Alternate the order each run, so neither policy always gets the warmer machine.
        order = list(POLICIES.items()) if run % 2 else list(reversed(POLICIES.items()))
        for policy, sync_interval in order:
            rates = run_once(policy, sync_interval, run)
            print(f"run {run} {policy}: async {rates.async_rate:,.0f}/s, awaited {rates.awaited_rate:,.0f}/s")
            results.append(rates)
    text = section(results)
    write_section(text)
    print(text)


if __name__ == "__main__":
    main()
