"""The season's figures: per-stage throughput, end-to-end time, event lag, sizes and peak memory.

Lag is read from the databases: for every event a consumer applied, the time from the producer's
transaction that wrote it to the outbox (``outbox.created_at``) to the consumer's transaction that
recorded it in the inbox (``inbox.processed_at``); both are PostgreSQL's ``now()``, the real time,
whatever the controlled clock says. Peak memory is each process's ``VmHWM`` (the high-water mark of
its resident set) from ``/proc``, the process found by the port it listens on.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil  # type: ignore[import-untyped]
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import text

from bench.season.invariants import service_databases
from bench.season.state import SeasonState
from zhicheng_common.db import Database
from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import ALL_SERVICES


@dataclass
class SeasonReport:
    params: dict[str, Any]
    counts: dict[str, int]
    end_to_end_seconds: float
    stages: list[dict[str, Any]]
    lag_ms: dict[str, float]
    lag_by_consumer_ms: dict[str, dict[str, float]]
    database_bytes: dict[str, int]
    stream: dict[str, int]
    peak_rss_mb: dict[str, float]
    violations: list[str]
    machine: str = ""
    load_average: str = ""
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # for the chart


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def event_lags(settings: CommonSettings, env: dict[str, str]) -> list[tuple[str, float, float]]:
    """Every applied event: (consumer, epoch seconds it was written, seconds until applied)."""
    created: dict[str, float] = {}
    applied: list[tuple[str, str, float]] = []
    for target in service_databases(settings, env):
        database = Database(target.url, target.service, pool_size=1, max_overflow=1)
        try:
            async with database.engine.connect() as conn:
                schema = target.service
                for row in await conn.execute(text(f'SELECT id, created_at FROM "{schema}".outbox')):
                    created[str(row.id)] = row.created_at.timestamp()
                rows = await conn.execute(text(f'SELECT consumer, event_id, processed_at FROM "{schema}".inbox'))
                applied += [(row.consumer, str(row.event_id), row.processed_at.timestamp()) for row in rows]
        finally:
            await database.dispose()
    return [(c, created[e], at - created[e]) for c, e, at in applied if e in created]


async def database_sizes(settings: CommonSettings, env: dict[str, str]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for target in service_databases(settings, env):
        database = Database(target.url, target.service, pool_size=1, max_overflow=1)
        try:
            async with database.engine.connect() as conn:
                size = await conn.scalar(
                    text(
                        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relkind = 'r'"
                    ),
                    {"schema": target.service},
                )
        finally:
            await database.dispose()
        sizes[target.service] = int(size or 0)
    return sizes


async def stream_sizes(js: JetStreamContext, settings: CommonSettings) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, key in ((settings.stream_name, "events"), (settings.dead_letter_stream_name, "dead_letters")):
        try:
            info = await js.stream_info(name)
        except NotFoundError:  # a dead-letter stream exists only once something was parked
            out[f"{key}_messages"], out[f"{key}_bytes"] = 0, 0
            continue
        out[f"{key}_messages"], out[f"{key}_bytes"] = int(info.state.messages), int(info.state.bytes)
    return out


def _listening_pids() -> dict[int, int]:
    return {
        conn.laddr.port: conn.pid
        for conn in psutil.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN and conn.pid is not None and conn.laddr
    }


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def peak_rss(settings: CommonSettings) -> dict[str, float]:
    """Each service's peak resident set (MB), and NATS's and the PostgreSQL postmaster's."""
    pids = _listening_pids()
    ports = {info.name: info.port for info in ALL_SERVICES}
    ports["nats"] = urlsplit(settings.nats_url).port or 4222
    ports["postgres (postmaster)"] = urlsplit(settings.database_url.replace("+asyncpg", "")).port or 5432
    return {name: _status_mb(pids[port], "VmHWM") for name, port in ports.items() if port in pids}


def resident_mb() -> dict[str, float]:
    """Each service's resident set now (MB, ``VmRSS``), found by its default port."""
    pids = _listening_pids()
    return {info.name: _status_mb(pids[info.port], "VmRSS") for info in ALL_SERVICES if info.port in pids}


def throughput_series(state: SeasonState, bucket: float) -> list[tuple[float, float]]:
    """Items done per second in each ``bucket`` seconds of the season, over every stage."""
    times = sorted(t for timing in state.timings for t, _ in timing.samples)
    if not times:
        return []
    counts: dict[int, int] = {}
    for t in times:
        counts[int(t // bucket)] = counts.get(int(t // bucket), 0) + 1
    last = int(times[-1] // bucket)
    return [(round(b * bucket, 1), round(counts.get(b, 0) / bucket, 2)) for b in range(last + 1)]


def lag_series(state: SeasonState, lags: list[tuple[str, float, float]], bucket: float) -> list[tuple[float, float]]:
    """p99 lag (ms) of the events written in each ``bucket`` seconds of the season."""
    spans = [(t.wall, t.wall + t.seconds, t.started) for t in state.timings if t.wall]
    grouped: dict[int, list[float]] = {}
    for _, written, lag in lags:
        for begin, end, started in spans:
            if begin <= written <= end + 5:
                grouped.setdefault(int((started + written - begin) // bucket), []).append(lag * 1000)
                break
    return [(round(b * bucket, 1), round(percentile(v, 0.99), 1)) for b, v in sorted(grouped.items())]


async def build(
    js: JetStreamContext,
    settings: CommonSettings,
    state: SeasonState,
    *,
    env: dict[str, str],
    counts: dict[str, int],
    violations: list[str],
    machine: str = "",
    load_average: str = "",
) -> SeasonReport:
    lags = await event_lags(settings, env)
    by_consumer: dict[str, list[float]] = {}
    for consumer, _, lag in lags:
        by_consumer.setdefault(consumer, []).append(lag * 1000)
    every = [lag * 1000 for _, _, lag in lags]
    bucket = max(1.0, round(state.elapsed / 60, 1))
    return SeasonReport(
        params=asdict(state.params),
        counts=counts,
        end_to_end_seconds=state.elapsed,
        stages=[
            {
                "stage": t.stage,
                "started": t.started,
                "seconds": t.seconds,
                "items": t.items,
                "requests": t.requests,
                "items_per_s": round(t.items / t.seconds, 2) if t.seconds else 0.0,
                "requests_per_s": round(t.requests / t.seconds, 1) if t.seconds else 0.0,
            }
            for t in state.timings
            if t.seconds
        ],
        lag_ms={
            "events": len(every),
            "p50": round(percentile(every, 0.5), 1),
            "p99": round(percentile(every, 0.99), 1),
            "max": round(max(every), 1) if every else float("nan"),
        },
        lag_by_consumer_ms={
            c: {"events": len(v), "p50": round(percentile(v, 0.5), 1), "p99": round(percentile(v, 0.99), 1)}
            for c, v in sorted(by_consumer.items())
        },
        database_bytes=await database_sizes(settings, env),
        stream=await stream_sizes(js, settings),
        peak_rss_mb=peak_rss(settings),
        violations=violations,
        machine=machine,
        load_average=load_average,
        series={"throughput": throughput_series(state, bucket), "lag_p99_ms": lag_series(state, lags, bucket)},
    )


def markdown(report: SeasonReport) -> str:
    p = report.params
    lines = [
        f"Province: {p['cities']} cities, {p['committees']} committees, {p['experts']} experts, "
        f"{p['declarations']} declarations (seed {p['seed']}). End to end **{report.end_to_end_seconds:.1f} s**; "
        f"event lag p50 **{report.lag_ms['p50']} ms**, p99 **{report.lag_ms['p99']} ms** "
        f"over {report.lag_ms['events']} applied events; invariant violations: **{len(report.violations)}**.",
        "",
        "| stage | seconds | items | items/s | requests | requests/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {s['stage']} | {s['seconds']:.1f} | {s['items']} | {s['items_per_s']} "
        f"| {s['requests']} | {s['requests_per_s']} |"
        for s in report.stages
    ]
    lines += ["", "| process | peak RSS (MB) | schema size (MB) |", "| --- | ---: | ---: |"]
    names = sorted(set(report.peak_rss_mb) | set(report.database_bytes))
    for name in names:
        size = report.database_bytes.get(name)
        lines.append(
            f"| {name} | {report.peak_rss_mb.get(name, '–')} | {'–' if size is None else round(size / 2**20, 1)} |"
        )
    s = report.stream
    lines += [
        "",
        f"Event stream: {s.get('events_messages', 0)} messages, {round(s.get('events_bytes', 0) / 2**20, 1)} MB; "
        f"dead letters: {s.get('dead_letters_messages', 0)}.",
    ]
    return "\n".join(lines) + "\n"


def svg_chart(report: SeasonReport, *, width: int = 720, height: int = 300) -> str:
    """Throughput (items/s, left axis) and event lag p99 (ms, right axis) over the season's seconds."""
    through, lag = report.series.get("throughput", []), report.series.get("lag_p99_ms", [])
    left, right, top, bottom = 60, 60, 30, 40
    w, h = width - left - right, height - top - bottom
    end = max([x for x, _ in through + lag] + [1.0])
    t_max = max([y for _, y in through] + [1.0])
    l_max = max([y for _, y in lag if not math.isnan(y)] + [1.0])

    def path(points: list[tuple[float, float]], top_value: float) -> str:
        coords = [f"{left + x / end * w:.1f},{top + h - y / top_value * h:.1f}" for x, y in points if not math.isnan(y)]
        return "M" + " L".join(coords) if coords else ""

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="13">Season: throughput and event lag p99 over time</text>',
        f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="#1f77b4"/>',
        f'<line x1="{left + w}" y1="{top}" x2="{left + w}" y2="{top + h}" stroke="#d62728"/>',
        f'<text x="{left - 5}" y="{top + 4}" text-anchor="end" fill="#1f77b4">{t_max:.0f}</text>',
        f'<text x="{left - 5}" y="{top + h}" text-anchor="end" fill="#1f77b4">0</text>',
        f'<text x="{left + w + 5}" y="{top + 4}" fill="#d62728">{l_max:.0f} ms</text>',
        f'<text x="{left + w + 5}" y="{top + h}" fill="#d62728">0</text>',
        f'<text x="{left + w}" y="{top + h + 16}" text-anchor="end">{end:.0f} s</text>',
        f'<text x="{left}" y="{top + h + 16}">0 s</text>',
        f'<text x="{left + w / 2}" y="{height - 6}" text-anchor="middle">seconds of the season '
        "(blue: items done per second; red: p99 lag of events written then)</text>",
        f'<path d="{path(through, t_max)}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>',
        f'<path d="{path(lag, l_max)}" fill="none" stroke="#d62728" stroke-width="1.5"/>',
    ]
    for n, stage in enumerate(report.stages):  # where each stage began, named
        x = left + float(stage.get("started", 0.0)) / end * w
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + h}" stroke="#bbb" stroke-dasharray="2,3"/>')
        out.append(
            f'<text x="{x + 2:.1f}" y="{top + 10 + (n % 3) * 11}" fill="#666" font-size="9">{stage["stage"]}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write(report: SeasonReport, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "season.json", "markdown": directory / "season.md", "chart": directory / "season.svg"}
    paths["json"].write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1))
    paths["markdown"].write_text(markdown(report))
    paths["chart"].write_text(svg_chart(report))
    return paths
