"""Accepted submissions per second through the gateway of the whole running system (issue 11 §6).

Starts the system the way ``make run`` does (``zhicheng up``: embedded PostgreSQL and NATS with
their NKeys, every service and the gateway, one uvicorn worker each, on their fixed ports, so run
it in a private network namespace (``unshare -n``, loopback up) or where Zhicheng is not running),
then makes what a
submission needs over the gateway's API, as a province does: a committee office user files a
senior engineering committee, the province's HR approves it, the office files its plan with a
window open today and HR publishes it. Intake learns both from the committees service's events.
An applicant user signs in and saves drafts of distinct applicants (not timed).

Each run measures, in the same system and one after the other, ``POST
/api/v1/declarations/{id}/submit`` with 16 concurrent clients and with 1 client: every accepted
submission verifies the token at the gateway and in intake, runs every eligibility rule over
intake's projections and commits status, history, journal entry and outbox event.

Run: ``.venv/bin/python bench/writepath_bench.py`` (or ``.venv/bin/python
bench/writepath_bench.py`` where ports 8000–8006, 54329 and 42229 are free); it rewrites its own
section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.intake_bench import SubmitResult, declaration_for, save_drafts, submit_all
from bench.stack import machine, percentile, write_section
from zhicheng_common.calendar import UnknownCalendarYear, WorkingDayCalendar
from zhicheng_common.clock import china_today
from zhicheng_common.logging import configure_logging
from zhicheng_common.topology import GATEWAY

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Write path: accepted submissions through the gateway of the whole running system"
API = f"{GATEWAY.default_url}/api/v1"
SHANXI = "140000"
PASSWORD = "Bench-2026-long-password"
RUNS = 3
MANY, ONE = 16, 1
# Issue 11 §6: measured 2026-12-01 on the same system, 40/s with 16 clients and 24/s with 1.
BEFORE_MANY, BEFORE_ONE = 40.0, 24.0


# Where the CPU goes: these processes of the running system, the rest summed as "other services".
CPU_GROUPS = ("gateway", "intake", "postgres", "review")
SERVICES = ("gateway", "intake", "review", "experts", "committees", "integrity", "certificates")


def _group(process: psutil.Process) -> str:
    try:
        if process.name().startswith("postgres"):
            return "postgres"
        cmdline = " ".join(process.cmdline())
    except psutil.Error:
        return "gone"
    for name in SERVICES:
        if f"zhicheng_{name}.app" in cmdline:
            return name if name in CPU_GROUPS else "other services"
    return "other services"


def cpu_seconds(system: subprocess.Popen[bytes]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the system's processes, by group."""
    used: dict[str, float] = {}
    for process in psutil.Process(system.pid).children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        group = _group(process)
        used[group] = used.get(group, 0.0) + times.user + times.system
    return used


@dataclass
class Cost:
    """CPU milliseconds per accepted submission, by process group (what contention does not change)."""

    per_submission_ms: dict[str, float]

    @classmethod
    def between(cls, before: dict[str, float], after: dict[str, float], count: int) -> Cost:
        groups = set(before) | set(after)
        return cls({g: 1000 * (after.get(g, 0.0) - before.get(g, 0.0)) / count for g in groups if g != "gone"})

    def cell(self) -> str:
        shown = [*CPU_GROUPS, "other services"]
        return " / ".join(f"{self.per_submission_ms.get(g, 0.0):.1f}" for g in shown)


@dataclass
class Run:
    many: SubmitResult
    one: SubmitResult
    many_cost: Cost
    one_cost: Cost

    @property
    def ratio(self) -> float:
        return self.many.rate / self.one.rate


def _unknown_years() -> list[int]:
    """Years chinese-calendar does not know yet: weekends-only for the plan's dates, as the tests do."""
    unknown = []
    for year in range(2027, 2031):
        try:
            WorkingDayCalendar().is_working_day(date(year, 6, 1))
        except UnknownCalendarYear:
            unknown.append(year)
    return unknown


def start_system(data_dir: Path, log: Path, *, ready_within: float = 180.0) -> subprocess.Popen[bytes]:
    """``zhicheng up`` in a newcomer's environment (no ZC_* settings), ready when the gateway says so."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZC_")}
    env["ZC_CALENDAR_OVERRIDES"] = json.dumps({"known_years": _unknown_years()})
    process = subprocess.Popen(
        [sys.executable, "-m", "zhicheng_common.cli", "up", "--data-dir", str(data_dir)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"zhicheng up exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            response = httpx.get(f"{API}/healthz", timeout=2.0)
            if response.status_code == 200 and response.json().get("status") == "all services ready":
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_system(process)
    raise TimeoutError(f"not ready within {ready_within} s:\n{log.read_text()[-3000:]}")


def stop_system(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def login(username: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{API}/auth/token", data={"username": username, "password": password}, timeout=10)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def make_user(admin: dict[str, str], *, roles: list[str], region: str) -> dict[str, str]:
    username = f"bench-{roles[0]}-{uuid.uuid4().hex[:6]}"
    response = httpx.post(
        f"{API}/users",
        json={"username": username, "password": PASSWORD, "name": "压测用户", "roles": roles, "region": region},
        headers=admin,
        timeout=10,
    )
    response.raise_for_status()
    return login(username, PASSWORD)


def _plan(today: date, levels: list[str]) -> dict[str, Any]:
    """A plan whose declaration window is open today, published today: CM-7 counts 30 working days
    from the day of publication to the meeting, CM-8 5 from the pre-meeting filing."""
    cal = WorkingDayCalendar.from_settings_json(json.dumps({"known_years": _unknown_years()}))
    meeting = today + timedelta(days=45)
    while cal.working_days_before(meeting, 30) < today:
        meeting += timedelta(days=1)
    plan: dict[str, Any] = {
        "year": meeting.year,
        "levels": levels,
        "declaration_opens": (today - timedelta(days=7)).isoformat(),
        "declaration_closes": (today + timedelta(days=7)).isoformat(),
        "notice_date": today.isoformat(),
        "meetings": [
            {
                "meeting_date": meeting.isoformat(),
                "pre_meeting_filing_date": cal.working_days_before(meeting, 5).isoformat(),
            }
        ],
    }
    crosses = any(date.fromisoformat(str(plan[k])).year != meeting.year for k in ("declaration_opens", "notice_date"))
    if crosses or meeting > date(meeting.year, 11, 30):
        plan["cross_year_exception"] = "晋人社厅函〔2026〕1号"  # CM-6: outside the window with HR's approval
    return plan


def open_committee(admin: dict[str, str]) -> tuple[str, int]:
    """A Shanxi senior engineering committee approved by HR, its plan published; (id, plan year)."""
    office = make_user(admin, roles=["committee_office"], region=SHANXI)
    levels = ["associate_senior", "senior"]
    filing = {
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
        "member_count": 25,  # NA-1: a senior committee
        "policy_pack": "shanxi-2024",
    }
    with httpx.Client(base_url=f"{API}/committees", timeout=10) as client:
        filed = client.post("/filings", json=filing, headers=office)
        filed.raise_for_status()
        committee_id = filed.json()["committee_id"]
        client.post(
            f"/filings/{filed.json()['id']}/decision", json={"approve": True, "opinion": "同意核准备案"}, headers=admin
        ).raise_for_status()
        plan = _plan(china_today(datetime.now(UTC)), levels)
        made = client.post(f"/{committee_id}/plans", json=plan, headers=office)
        made.raise_for_status()
        client.post(f"/plans/{made.json()['id']}/publication", headers=admin).raise_for_status()
    return str(committee_id), int(plan["year"])


def wait_for_window(headers: dict[str, str], committee_id: str, timeout: float = 60.0) -> None:
    """Until intake has projected the committee and its open window from the committees service's events."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = httpx.get(f"{API}/declarations/windows", headers=headers, timeout=10).json()["items"]
        if any(item["committee_id"] == committee_id and item["windows"] for item in items):
            return
        time.sleep(0.3)
    raise TimeoutError("intake did not project the committee's window")


def run_writepath_bench(*, runs: int = RUNS, many_count: int = 800, one_count: int = 200) -> list[Run]:
    with TemporaryDirectory(prefix="zc-bench-writepath-") as tmp:
        system = start_system(Path(tmp) / "data", Path(tmp) / "up.log")
        try:
            admin = login("admin", (Path(tmp) / "data" / "admin-password").read_text().strip())
            committee_id, year = open_committee(admin)
            applicant = make_user(admin, roles=["applicant"], region="140100")
            wait_for_window(applicant, committee_id)
            base = f"{API}/declarations"
            counter = 0

            def drafts(count: int) -> list[str]:
                nonlocal counter
                bodies = [
                    declaration_for(uuid.UUID(committee_id), year, counter + n, eligible=True) for n in range(count)
                ]
                counter += count
                return asyncio.run(save_drafts(base, applicant, bodies))

            def submit(ids: list[str], concurrency: int, label: str) -> tuple[SubmitResult, Cost]:
                before = cpu_seconds(system)
                result = asyncio.run(submit_all(base, applicant, ids, expect=200, label=label, concurrency=concurrency))
                return result, Cost.between(before, cpu_seconds(system), len(ids))

            submit(drafts(48), MANY, "warm-up")  # first requests: imports, pools, plans
            results = []
            for _ in range(runs):
                many_ids, one_ids = drafts(many_count), drafts(one_count)
                many, many_cost = submit(many_ids, MANY, f"{MANY} clients")
                one, one_cost = submit(one_ids, ONE, f"{ONE} client")
                results.append(Run(many, one, many_cost, one_cost))
                print(
                    f"{many.rate:.1f}/s with {MANY} (CPU ms {many_cost.cell()}), "
                    f"{one.rate:.1f}/s with {ONE} (CPU ms {one_cost.cell()})",
                    file=sys.stderr,
                )
            return results
        finally:
            stop_system(system)


def section(runs: list[Run]) -> str:
    def cell(r: SubmitResult) -> str:
        return (
            f"**{r.rate:.0f}/s** ({r.count} in {r.seconds:.1f} s; p50 {percentile(r.latencies, 0.5):.0f} ms, "
            f"p99 {percentile(r.latencies, 0.99):.0f} ms; {r.unexpected} not 200)"
        )

    rows = [
        f"| {n} | {cell(r.many)} | {cell(r.one)} | {r.ratio:.2f} | {r.many.rate / BEFORE_MANY:.2f} | "
        f"{r.many_cost.cell()} | {r.one_cost.cell()} |"
        for n, r in enumerate(runs, 1)
    ]
    return "\n".join(
        [
            HEADING,
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()};",
            "`.venv/bin/python bench/writepath_bench.py`",
            "(it needs ports 8000–8006, 54329 and 42229 free).",
            "The machine is shared with other developers' builds and tests: read the ratios within a run more",
            "than the absolute figures.",
            "",
            "The whole system as `make run` starts it (`zhicheng up`: embedded PostgreSQL and NATS with NKeys,",
            "every service and the gateway, one uvicorn worker each). A committee is filed and approved, its",
            "plan filed and published over the gateway's API; intake learns them from the committees service's",
            "events. `POST /api/v1/declarations/{id}/submit` of distinct applicants' drafts through the gateway:",
            "the token is verified at the gateway and in intake, every eligibility rule runs over intake's",
            "projections, and status, history, journal entry and outbox event are committed. In each run the",
            f"{MANY}-client figure and the 1-client figure are measured one after the other in the same system.",
            f"Goals (issue 11 §6): {MANY} clients ≥ 3 × {BEFORE_MANY:.0f}/s = {3 * BEFORE_MANY:.0f}/s, and"
            f" {MANY} clients ≥ 2 × 1 client. Before (2026-12-01): {BEFORE_MANY:.0f}/s and {BEFORE_ONE:.0f}/s.",
            "",
            "CPU per accepted submission (ms, user + system, read from the processes) does not depend on what",
            "else the machine runs: gateway / intake / PostgreSQL (all its processes) / review (which takes each",
            "submission's event) / the other services (their background loops).",
            "",
            f"| run | {MANY} clients | 1 client | {MANY} / 1 | {MANY} clients / {BEFORE_MANY:.0f} "
            f"| CPU ms, {MANY} clients | CPU ms, 1 client |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--many-count", type=int, default=800)
    parser.add_argument("--one-count", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()
    configure_logging("bench", level="WARNING")
    runs = run_writepath_bench(runs=args.runs, many_count=args.many_count, one_count=args.one_count)
    text = section(runs)
    if not args.no_write:
        write_section(RESULTS, HEADING, text)
    print(text)


if __name__ == "__main__":
    main()
