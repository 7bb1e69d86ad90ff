"""The season's stages, each a function over a :class:`SeasonState`, driven over the gateway's API.

The order is :data:`STAGES`. Each stage does its work with bounded concurrency, records its timing
and is then marked done in the state, which the caller saves; a run resumed from a saved state
starts with the first stage not done. The clock moves only forward (docs/clock.md), at the stage
whose deadlines need it: the unit publicity's 5 working days (RV-6), the meeting day, the results
publicity (NA-11).

A write whose answer is lost (a 502, 503 or 504 from the gateway, or the connection dropping once
the request was sent) may have been applied upstream, so it is not sent again blindly: ``Api.call``
raises :class:`Uncertain`, and ``Run.each`` runs the item's work again (:func:`rerun_uncertain`).
Each item's work is written read-then-act: what it has done with a certain answer is kept in
``Run.scratch``, and on a rerun it reads the resource the lost write would have made or changed (the
declaration's status, the review's step, the filing, plan, pool, draw, sitting or results) and
writes only what is not there. Routes that are idempotent themselves are sent again instead: a
draft with its ``Idempotency-Key``, a claim by its claimer, an account by its unique username
(``username_taken`` means made), a ballot (NA-7 ``already_voted`` means cast), the results'
confirmation (CM-11), every PUT and every read.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench.season.generator import CITIES, SHANXI, Declaration, Province, declaration_body, fails_first, generate
from bench.season.state import SeasonState, StageTiming
from zhicheng_common.pii import mask_identifier

T = TypeVar("T")

PASSWORD = "Season-2026-long"
START = "2026-11-09T09:00:00+08:00"  # Monday: the plans are published today (CM-7 counts from it)
PUBLICITY_OVER = "2026-11-17T09:00:00+08:00"  # the unit publicity of 9 Nov is open through 16 Nov (RV-6)
PLAN = {
    "year": 2026,
    "levels": ["associate_senior", "senior"],
    "declaration_opens": "2026-11-02",
    "declaration_closes": "2026-11-16",
    "notice_date": "2026-11-09",
    "meetings": [{"meeting_date": "2026-12-21", "pre_meeting_filing_date": "2026-12-14"}],
    "cross_year_exception": "晋人社厅函〔2026〕1号",
}
RETRIED = {429, 502, 503, 504}
RERUNS = 40  # an item run again this many times after uncertain writes is a failure of the stage


class SeasonError(RuntimeError):
    """A call answered what the season cannot go on from."""


class Uncertain(SeasonError):
    """A write was sent and its answer lost: it may or may not have been applied upstream."""


def after(method: str, idempotent: bool, status: int | None) -> str:
    """What to do with an answer: ``"return"`` it, ``"retry"`` the call, or the write is ``"uncertain"``.

    ``status`` is None when the connection failed after the request was (perhaps) sent. A request
    that may be sent again (a read, a PUT, a route idempotent by itself) is retried on any fault; a
    rate-limited one (429: refused before any work) always; any other write after a lost answer is
    uncertain, and only its reader can tell whether it was applied.
    """
    safe = idempotent or method in ("GET", "PUT")
    if status is not None and status not in RETRIED:
        return "return"
    if safe or status == 429:
        return "retry"
    return "uncertain"


RERUN: contextvars.ContextVar[bool] = contextvars.ContextVar("rerun", default=False)


def rerun() -> bool:
    """Whether the item being worked on runs again after an uncertain write (so reads before it writes)."""
    return RERUN.get()


async def rerun_uncertain(
    work: Callable[[], Awaitable[T]], *, attempts: int = RERUNS, pause: float = 0.5, reruns: list[str] | None = None
) -> T:
    """``work()``, run again (with :func:`rerun` true) while it raises :class:`Uncertain`; each rerun's
    reason is appended to ``reruns``. The pause grows to 5 s: a fault lasts up to a minute."""
    for attempt in range(attempts):
        token = RERUN.set(attempt > 0)
        try:
            return await work()
        except Uncertain as exc:
            if attempt == attempts - 1:
                raise SeasonError(f"still uncertain after {attempts} runs: {exc}") from exc
            if reruns is not None:
                reruns.append(str(exc)[:300])
        finally:
            RERUN.reset(token)
        await asyncio.sleep(min(5.0, pause * 2**attempt))
    raise AssertionError("unreachable")


@dataclass
class Api:
    """The gateway, with sign-ins cached and every call counted."""

    client: httpx.AsyncClient
    admin_password: str
    concurrency: int
    requests: int = 0
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    # The share of applied writes whose answer is dropped on purpose (made uncertain) to exercise
    # the reruns without a fault; 0 in a real season.
    lose_answers: float = 0.0
    dice: random.Random = field(default_factory=lambda: random.Random(0))

    async def call(
        self, method: str, path: str, who: str | None, *, idempotent: bool = False, **kwargs: Any
    ) -> httpx.Response:
        headers = {**(await self.headers(who) if who else {}), **kwargs.pop("headers", {})}
        for attempt in range(30):  # a restarted service is back within a minute (`up --restart-exited`)
            self.requests += 1
            try:
                response = await self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if attempt == 29:
                    raise
                # Nothing was sent: the gateway restarting, or its backlog full.
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
                continue
            except httpx.TransportError as exc:  # sent, and the gateway went away before answering
                if attempt == 29 or after(method, idempotent, None) == "uncertain":
                    raise Uncertain(f"{method} {path} as {who}: {exc!r}") from exc
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
                continue
            then = after(method, idempotent, response.status_code)
            if then == "return":
                unsafe = after(method, idempotent, None) == "uncertain"
                if unsafe and response.is_success and self.lose_answers and self.dice.random() < self.lose_answers:
                    raise Uncertain(f"{method} {path} as {who}: {response.status_code} answer dropped on purpose")
                return response
            if then == "uncertain":
                raise Uncertain(f"{method} {path} as {who}: {response.status_code} {response.text[:300]}")
            await asyncio.sleep(float(response.headers.get("Retry-After", "0") or 0) or min(5.0, 0.2 * 2**attempt))
        return response

    async def ok(
        self, method: str, path: str, who: str | None, status: int = 200, *, idempotent: bool = False, **kwargs: Any
    ) -> Any:
        response = await self.call(method, path, who, idempotent=idempotent, **kwargs)
        if response.status_code != status:
            raise SeasonError(f"{method} {path} as {who}: {response.status_code} {response.text[:600]}")
        return response.json() if response.content else None

    async def headers(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            password = self.admin_password if username == "admin" else PASSWORD
            body = await self.ok(
                "POST", "/auth/token", None, idempotent=True, data={"username": username, "password": password}
            )
            self.tokens[username] = {"Authorization": f"Bearer {body['access_token']}"}
        return self.tokens[username]

    async def account(self, username: str, role: str, region: str, name: str, **bindings: Any) -> str:
        """A new account (issue 12), bound after checking when ``bindings`` are given; its id."""
        body = {"username": username, "password": PASSWORD, "roles": [role], "region": region, "name": name}
        # A username is unique: sent again after a lost answer, ``username_taken`` means it was made.
        made = await self.call("POST", "/users", "admin", idempotent=True, json=body)
        if made.status_code == 409 and made.json().get("code") == "username_taken":
            self.tokens.pop(username, None)
            user_id = str((await self.ok("GET", "/users/me", username))["id"])
        elif made.status_code == 201:
            user_id = str(made.json()["id"])
        else:
            raise SeasonError(f"POST /users {username}: {made.status_code} {made.text[:600]}")
        if bindings:
            await self.ok("PUT", f"/users/{user_id}/bindings", "admin", json={"reason": "核验后绑定", **bindings})
        self.tokens.pop(username, None)  # a token issued after the binding carries it
        return user_id

    async def until(self, check: Callable[[], Awaitable[T | None]], *, timeout: float, what: str) -> T:
        """Poll ``check`` until it gives something (events still travelling), bounded by ``timeout``."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            found = await check()
            if found is not None and found is not False:
                return found
            if time.monotonic() > deadline:
                raise SeasonError(f"timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(delay)
            delay = min(1.0, delay * 1.5)


@dataclass
class Run:
    api: Api
    state: SeasonState
    province: Province
    progress: Progress | None
    wait: float  # seconds an event may take to reach the next service
    started: float = field(default_factory=time.monotonic)
    # What an item has done with a certain answer (ids made, steps passed), kept across its reruns.
    scratch: dict[str, dict[str, Any]] = field(default_factory=dict)
    reruns: list[str] = field(default_factory=list)  # the uncertain writes that made an item run again

    async def each(self, stage: str, items: Sequence[T], work: Callable[[T], Awaitable[None]]) -> None:
        """``work`` on every item, at most ``concurrency`` at once, with the stage's progress bar; an
        item whose write was uncertain is run again (:func:`rerun_uncertain`)."""
        task = self.progress.add_task(stage, total=len(items)) if self.progress else None
        timing = self.state.timings[-1]
        done = 0
        gate = asyncio.Semaphore(self.api.concurrency)

        async def one(item: T) -> None:
            nonlocal done
            async with gate:
                await rerun_uncertain(lambda: work(item), reruns=self.reruns)
            done += 1
            timing.samples.append((round(self.state.elapsed + time.monotonic() - self.started, 3), done))
            if self.progress and task is not None:
                self.progress.advance(task)

        await asyncio.gather(*(one(item) for item in items))

    # -- helpers over the province ------------------------------------------------------------

    def user(self, key: str) -> str:
        return f"s{self.state.params.seed}-{key}"

    def committee_id(self, index: int) -> str:
        return str(self.state.committees[self.province.committees[index].key]["committee_id"])

    def declarations(self, *, where: Callable[[Declaration, dict[str, Any]], bool]) -> list[Declaration]:
        return [d for d in self.province.declarations if where(d, self.state.declarations.get(d.key, {}))]

    async def move_clock(self, to: str, *, force: bool = False) -> None:
        await self.api.ok("PUT", "/system/clock", "admin", json={"to": to, "force": force})
        # Every service follows a move within a second (docs/clock.md); the first one (forced, on a
        # system started on the real date) reaches a service at its next look for the clock bucket.
        await asyncio.sleep(3.0 if force else 1.5)

    async def review_of(self, declaration_id: str) -> dict[str, Any] | None:
        response = await self.api.call("GET", f"/reviews/declarations/{declaration_id}", "admin")
        return response.json() if response.status_code == 200 else None

    async def review_at(self, declaration_id: str, step: str) -> dict[str, Any]:
        """The review once it is at ``step`` or past it (a rerun finds its own decision applied)."""

        async def at() -> dict[str, Any] | None:
            current = await self.review_of(declaration_id)
            return current if current and (current["step_key"] == step or past(current, step)) else None

        return await self.api.until(at, timeout=self.wait, what=f"declaration {declaration_id} at {step}")

    async def pass_step(self, declaration_id: str, step: str, who: str, signer_unit: str) -> dict[str, Any]:
        """Claim and pass the declaration's review at ``step``, unless it is past it already; the review
        as it was at the step. The claim is idempotent for its claimer; a lost decision moved the step."""
        review = await self.review_at(declaration_id, step)
        if past(review, step):
            return review
        at = {"step_key": step}
        await self.api.ok("POST", f"/reviews/{review['id']}/claim", who, idempotent=True, json=at)
        body = {**at, "outcome": "pass", "opinion": "材料真实完整，同意推荐。", "signer_unit": signer_unit}
        await self.api.ok("POST", f"/reviews/{review['id']}/decisions", who, 201, json=body)
        return review


STEPS = ("unit_review", "unit_publicity", "department_review", "city_hr_review", "committee_office_review")


def past(review: dict[str, Any], step: str) -> bool:
    """Whether a review has left ``step`` of the season's chain (:data:`STEPS`): a later step, or done."""
    if review["status"] not in ("in_review", "in_publicity"):
        return True
    current = review["step_key"]
    return current in STEPS and STEPS.index(current) > STEPS.index(step)


# -- the stages ---------------------------------------------------------------------------------


async def stage_setup(run: Run) -> int:
    """The province's staff, every committee filed and approved (CM-3), its plan published (CM-7)."""
    api, state, params = run.api, run.state, run.state.params
    await run.move_clock(START, force=True)
    staff = [
        ("hr_admin", "hr_admin", SHANXI, "山西省人力资源和社会保障厅"),
        ("supervisor", "supervisor", SHANXI, "监督人"),
    ]
    for code, name in CITIES[: params.cities]:
        staff += [
            (f"dept-{code}", "dept_reviewer", code, f"{name}主管部门"),
            (f"city-{code}", "hr_reviewer", code, f"{name}人社局"),
        ]
    units = [(u, f"unit-{u.key}") for u in run.province.units]

    async def person(item: tuple[str, str, str, str]) -> None:
        key, role, region, name = item
        await api.account(run.user(key), role, region, name)
        state.accounts[key] = run.user(key)

    async def unit_reviewer(item: tuple[Any, str]) -> None:
        unit, key = item
        await api.account(
            run.user(key), "unit_reviewer", unit.region, f"{unit.name}审核员", unit_credit_code=unit.credit_code
        )
        state.accounts[key] = run.user(key)

    async def committee(index: int) -> None:
        c = run.province.committees[index]
        office = run.user(f"office-{c.key}")
        office_id = await api.account(office, "committee_office", SHANXI, "评委会办公室")
        filing = {
            "name": c.name,
            "organizer_name": "山西省人力资源和社会保障厅",
            "organizer_credit_code": "91140100MA0K0A0A0N",
            "region": SHANXI,
            "kind": "government_hr",
            "formation_basis": "per_series",
            "series": "engineering",
            "levels": ["associate_senior", "senior"],
            "scope_regions": [SHANXI],
            "office": {
                "name": "评委会办公室",
                "address": "太原市",
                "contact_name": "王丽",
                "contact_phone": "0351-1234567",
            },
            "member_count": params.panel,
            "policy_pack": "shanxi-2024",
        }
        done = run.scratch.setdefault(f"committee-{c.key}", {})
        if "filing" not in done:
            filed = None
            if rerun():  # the filing's answer may have been lost: the province's filings tell
                listed = await api.ok("GET", "/committees/filings", office, params={"limit": 200})
                filed = next((f for f in listed["items"] if f["name"] == c.name), None)
            filed = filed or await api.ok("POST", "/committees/filings", office, 201, json=filing)
            done["filing"] = {"id": str(filed["id"]), "committee_id": str(filed["committee_id"])}
        filing_id, committee_id = done["filing"]["id"], done["filing"]["committee_id"]
        if not done.get("approved"):
            if not rerun() or (await api.ok("GET", f"/committees/filings/{filing_id}", "admin"))["status"] == "pending":
                decision = {"approve": True, "opinion": "同意核准备案"}
                await api.ok("POST", f"/committees/filings/{filing_id}/decision", "admin", json=decision)
            done["approved"] = True
        if "plan_id" not in done:
            plan = None
            if rerun():
                plan = next(iter(await api.ok("GET", f"/committees/{committee_id}/plans", office)), None)
            plan = plan or await api.ok("POST", f"/committees/{committee_id}/plans", office, 201, json=PLAN)
            done["plan_id"] = str(plan["id"])
        if not done.get("published"):
            plan_url = f"/committees/plans/{done['plan_id']}"
            if not rerun() or (await api.ok("GET", plan_url, office))["status"] == "draft":
                await api.ok("POST", f"{plan_url}/publication", "admin")
            done["published"] = True
        await api.ok(
            "PUT", f"/users/{office_id}/bindings", "admin", json={"reason": "核验后绑定", "committees": [committee_id]}
        )
        api.tokens.pop(office, None)
        drawers = []
        for n in (1, 2):
            drawer = run.user(f"drawer{n}-{c.key}")
            await api.account(drawer, "committee_office", SHANXI, f"抽取人{n}", committees=[committee_id])
            drawers.append(drawer)
        plans = await api.ok("GET", f"/committees/{committee_id}/plans", office)
        meeting = plans[0]["meetings"][0]
        state.committees[c.key] = {
            "committee_id": committee_id,
            "plan_id": done["plan_id"],
            "office": office,
            "drawers": drawers,
            "meeting_id": str(meeting["id"]),
            "meeting_date": str(meeting["meeting_date"]),
        }

    await run.each("setup: staff", staff, person)
    await run.each("setup: unit reviewers", units, unit_reviewer)
    await run.each("setup: committees", list(range(params.committees)), committee)
    return len(staff) + len(units) + params.committees


async def stage_experts(run: Run) -> int:
    """Every expert entered by their committee's office, linked to an account (NA-2); the pools filed."""
    api, state = run.api, run.state

    async def expert(index: int) -> None:
        e = run.province.experts[index]
        c = run.province.committees[e.committee]
        office = state.committees[c.key]["office"]
        body = {
            "name": e.name,
            "resident_id": e.resident_id,
            "unit_name": "山西省电力勘测设计院",
            "unit_credit_code": e.unit_credit_code,
            "ownership_kind": "public_institution",
            "series": "engineering",
            "specialties": ["electrical"],
            "rank_held": "senior",
            "region": "140100",
            "terms": [{"starts_on": "2025-01-01", "ends_on": "2027-12-31"}],
        }
        done = run.scratch.setdefault(f"expert-{e.key}", {})
        if "id" not in done:
            # A lost answer: the expert is in the office's list under their name and masked ID number.
            entered = await entered_expert(api, office, e.name, e.resident_id) if rerun() else None
            done["id"] = entered or str((await api.ok("POST", "/experts/experts", office, 201, json=body))["id"])
        expert_id = done["id"]
        username = run.user(f"expert-{e.key}")
        account = await api.account(username, "expert", SHANXI, e.name)
        await api.ok("PUT", f"/experts/experts/{expert_id}/account", office, json={"account_subject": account})
        state.experts[e.key] = {"id": expert_id, "username": username, "committee": c.key}

    async def pool(index: int) -> None:
        c = run.province.committees[index]
        ids = [v["id"] for v in state.experts.values() if v["committee"] == c.key]
        body = {
            "committee_id": run.committee_id(index),
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
            "expert_ids": ids,
        }
        office = state.committees[c.key]["office"]
        if rerun():
            pools = await api.call("GET", f"/experts/pools/committees/{body['committee_id']}", office)
            if pools.status_code == 200 and pools.json():
                return  # the filing whose answer was lost

        async def filed() -> bool:
            return (await api.call("POST", "/experts/pools", office, json=body)).status_code == 201

        await api.until(filed, timeout=run.wait, what=f"the pool of {c.key} (its approval reaching experts)")

    await run.each("experts", list(range(len(run.province.experts))), expert)
    await run.each("experts: pools", list(range(len(run.province.committees))), pool)
    return len(run.province.experts)


async def entered_expert(api: Api, office: str, name: str, resident_id: str) -> str | None:
    """The id of the expert of this name and (masked) resident ID the office sees, if entered."""
    masked, offset = mask_identifier(resident_id), 0
    while True:
        page = await api.ok("GET", "/experts/experts", office, params={"limit": 200, "offset": offset})
        for item in page["items"]:
            if item["name"] == name and item["resident_id_masked"] == masked:
                return str(item["id"])
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return None


async def stage_declare(run: Run) -> int:
    """Every applicant declares and submits; refused ones correct and submit again, or give up."""
    api, state = run.api, run.state
    windows_user = run.user("applicant-probe")
    await api.account(windows_user, "applicant", "140100", "探针")
    wanted = {run.committee_id(i) for i in range(len(run.province.committees))}

    async def windows_open() -> bool:
        items = (await api.ok("GET", "/declarations/windows", windows_user))["items"]
        return wanted <= {i["committee_id"] for i in items if i["windows"]}

    await api.until(windows_open, timeout=run.wait, what="every committee's window in intake")

    async def declare(d: Declaration) -> None:
        unit = run.province.units[d.unit]
        record = state.declarations.setdefault(d.key, {})
        username = run.user(f"applicant-{d.key}")
        await api.account(username, "applicant", unit.region, d.name, id_number=d.resident_id)
        record["username"] = username
        committee_id = run.committee_id(d.committee)
        body = declaration_body(run.province, d, committee_id, corrected=False)
        # The draft carries an Idempotency-Key: sent again, it answers the same draft (200).
        key = {"Idempotency-Key": f"season-{state.params.seed}-{d.key}"}
        created = await api.call("POST", "/declarations", username, idempotent=True, json=body, headers=key)
        if created.status_code not in (200, 201):
            raise SeasonError(f"draft {d.key}: {created.status_code} {created.text[:600]}")
        record["id"] = str(created.json()["id"])
        url = f"/declarations/{record['id']}"
        if rerun() and (await api.ok("GET", url, username))["status"] != "draft":
            record["submitted"] = True  # the submission whose answer was lost (a refused one stays a draft)
            record["corrected"] = bool(record.get("refused"))
            return
        if "refused" not in record:
            response = await api.call("POST", f"{url}/submit", username)
            if response.status_code == 200:
                record["submitted"] = True
                return
            if response.status_code != 409:
                raise SeasonError(f"submit {d.key}: {response.status_code} {response.text[:600]}")
            problem = response.json()
            rules = {str(e["rule"]) for e in problem.get("errors", []) if e.get("rule")} | {str(problem.get("rule"))}
            record["refused"] = sorted(rules - {"None"})  # every rule the submission failed (RFC 9457 errors[])
        if fails_first(d) is None or d.fate == "abandoned":
            record["submitted"] = False  # given up (or refused unexpectedly: the counts will tell)
            return
        fixed = declaration_body(run.province, d, committee_id, corrected=True)
        await api.ok("PUT", url, username, json=fixed)
        await api.ok("POST", f"{url}/submit", username)
        record["submitted"] = True
        record["corrected"] = True

    await run.each("declare", list(run.province.declarations), declare)
    return len(run.province.declarations)


def _submitted(d: Declaration, record: dict[str, Any]) -> bool:
    return bool(record.get("submitted"))


async def stage_unit_review(run: Run) -> int:
    """The unit's reviewer passes each submitted declaration (RV-1)."""

    async def review(d: Declaration) -> None:
        record = run.state.declarations[d.key]
        unit = run.province.units[d.unit]
        current = await run.pass_step(record["id"], "unit_review", run.state.accounts[f"unit-{unit.key}"], unit.name)
        record["review_id"] = str(current["id"])

    items = run.declarations(where=_submitted)
    await run.each("unit review", items, review)
    return len(items)


async def stage_unit_publicity(run: Run) -> int:
    """Each unit publicizes its declarations; the clock moves past the 5 working days (RV-6)."""
    by_unit: dict[int, list[Declaration]] = {}
    for d in run.declarations(where=_submitted):
        by_unit.setdefault(d.unit, []).append(d)

    async def publicize(unit_index: int) -> None:
        unit = run.province.units[unit_index]
        reviewer = run.state.accounts[f"unit-{unit.key}"]
        reviews = [
            await run.review_at(run.state.declarations[d.key]["id"], "unit_publicity") for d in by_unit[unit_index]
        ]
        # A publicity whose answer was lost holds its reviews already (publicity_id): those are left out.
        ids = [str(r["id"]) for r in reviews if not r.get("publicity_id") and not past(r, "unit_publicity")]
        for start in range(0, len(ids), 200):
            body = {"review_ids": ids[start : start + 200], "title": "单位内公示"}
            await run.api.ok("POST", "/reviews/publicities", reviewer, 201, json=body)

    await run.each("unit publicity", sorted(by_unit), publicize)
    await run.move_clock(PUBLICITY_OVER)
    return sum(len(v) for v in by_unit.values())


async def stage_upper_review(run: Run) -> int:
    """The department, the city's HR and the committee's office pass each one: qualified."""

    async def review(d: Declaration) -> None:
        record = run.state.declarations[d.key]
        region = run.province.units[d.unit].region
        steps = [
            ("department_review", f"dept-{region}", "主管部门"),
            ("city_hr_review", f"city-{region}", "人力资源和社会保障局"),
            ("committee_office_review", None, "评委会办公室"),
        ]
        for step, who, signer in steps:
            actor = (
                run.state.accounts[who]
                if who
                else run.state.committees[run.province.committees[d.committee].key]["office"]
            )
            await run.pass_step(record["id"], step, actor, signer)
        final = await run.review_of(record["id"])
        if not final or final["status"] != "qualified":
            raise SeasonError(f"{d.key} not qualified after its chain: {final}")
        record["qualified"] = True

    items = run.declarations(where=_submitted)
    await run.each("department, city, office review", items, review)
    return len(items)


def _pem(key: Ed25519PrivateKey) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode()


async def stage_draw(run: Run) -> int:
    """Each meeting pre-filed (CM-8) and its panel drawn, seeded and signed (EX-1, EX-2)."""
    api, state, params = run.api, run.state, run.state.params

    async def draw(index: int) -> None:
        c = state.committees[run.province.committees[index].key]
        qualified = [
            d
            for d in run.province.declarations
            if d.committee == index and state.declarations.get(d.key, {}).get("qualified")
        ]
        url = f"/committees/meetings/{c['meeting_id']}"
        if not rerun() or (await api.ok("GET", url, c["office"]))["pre_meeting_filed_on"] is None:
            await api.ok("POST", f"{url}/pre-meeting-filing", c["office"], json={"applicant_count": len(qualified)})
        draws = f"/experts/committees/{run.committee_id(index)}/meetings/{c['meeting_id']}/draws"
        quota = {
            "size": params.panel,
            "quotas": [{"specialty": "electrical", "members": params.panel, "alternates": 0}],
        }

        async def committed() -> dict[str, Any] | None:
            response = await api.call("POST", draws, c["office"], json=quota)
            return response.json() if response.status_code == 201 else None

        drawn: dict[str, Any] | None = None
        if rerun():  # the draw, its seed and its signatures so far, as experts holds them
            listed = await api.ok("GET", f"/experts/meetings/{c['meeting_id']}/draws", c["office"])
            drawn = next((x for x in listed["items"] if x["status"] != "voided"), None)
        if drawn is None:
            drawn = await api.until(committed, timeout=run.wait, what=f"the pre-filed meeting of {index} in experts")
        draw_id = drawn["draw_id"]
        if drawn.get("external_seed") is None:
            seed = {"external_seed": f"2026-11-17 {params.seed} {index}"}
            await api.ok("POST", f"/experts/draws/{draw_id}/seed", state.accounts["supervisor"], json=seed)
        # The signers sign one after the other: the first len(signatures) have signed.
        for signer in [*c["drawers"], state.accounts["supervisor"]][len(drawn.get("signatures", [])) :]:
            key = Ed25519PrivateKey.generate()
            payload = await api.ok("GET", f"/experts/draws/{draw_id}/signing-payload", signer)
            signature = {"public_key_pem": _pem(key), "signature": key.sign(payload["payload"].encode()).hex()}
            await api.ok("POST", f"/experts/draws/{draw_id}/signatures", signer, 201, json=signature)
        c["draw_id"] = str(draw_id)

    await run.each("draws", list(range(params.committees)), draw)
    return params.committees


def votes(fate: str, panel: int) -> list[str]:
    """The panel's votes on one declaration, member by member: a passing one gets every yes but two
    abstentions, one voted down a third of yes (both sides of NA-7's two thirds by far)."""
    if fate == "voted_down":
        yes = panel // 3
        return ["yes"] * yes + ["no"] * (panel - yes)
    return ["yes"] * (panel - 2) + ["abstain"] * 2


async def stage_meeting(run: Run) -> int:
    """The meeting day: arrangement, sign-in, opening (MT-1), groups and opinions (MT-2), the ballot."""
    api, state = run.api, run.state
    meeting_date = next(iter(state.committees.values()))["meeting_date"]
    await run.move_clock(f"{meeting_date}T09:00:00+08:00")
    by_expert_id = {v["id"]: v["username"] for v in state.experts.values()}
    arrangement = {"venue": "太原市小店区长风街1号", "remote": False, "forms": ["material_review", "defence"]}

    async def meeting(index: int) -> None:
        c = state.committees[run.province.committees[index].key]
        office, url = c["office"], f"/committees/meetings/{c['meeting_id']}"
        applicants = [
            d
            for d in run.province.declarations
            if d.committee == index and state.declarations.get(d.key, {}).get("qualified")
        ]
        wanted = sorted(state.declarations[d.key]["id"] for d in applicants)

        def ready(sitting: dict[str, Any]) -> bool:
            return sorted(sitting["applicants"]) == wanted and len(sitting["panel"]) == state.params.panel

        async def arranged() -> dict[str, Any] | None:
            sitting = await api.ok("PUT", f"{url}/arrangement", office, json=arrangement)
            return sitting if ready(sitting) else None

        # The sitting tells how far a run whose answer was lost got (409: not arranged yet).
        seen = await api.call("GET", f"{url}/sitting", office) if rerun() else None
        sitting: dict[str, Any] | None = seen.json() if seen is not None and seen.status_code == 200 else None
        if sitting is None or (sitting["status"] == "scheduled" and not ready(sitting)):
            sitting = await api.until(arranged, timeout=run.wait, what=f"the applicants and panel of meeting {index}")
        panel: list[str] = list(sitting["panel"])
        groups = {
            state.declarations[d.key]["id"]: [panel[(n + k) % len(panel)] for k in range(3)]
            for n, d in enumerate(applicants)
        }
        tallies = {state.declarations[d.key]["id"]: votes(d.fate, len(panel)) for d in applicants}
        rounds = {r["number"]: r["status"] for r in sitting["rounds"]}
        if sitting["status"] == "scheduled":
            # Signing in again is a no-op (MT-1 keeps one attendance per expert).
            missing = [e for e in panel if e not in sitting["attending"]]
            await asyncio.gather(*(api.ok("POST", f"{url}/sign-in", by_expert_id[e], idempotent=True) for e in missing))
            await api.ok("POST", f"{url}/opening", office, json={"chair": panel[0]})
        if sitting["status"] != "closed" and not rounds:
            if not sitting["groups"]:
                await api.ok("PUT", f"{url}/groups", office, json={"groups": groups})
            written = run.scratch.setdefault(f"opinions-{index}", {})
            for declaration_id, members in groups.items():
                for member in members:
                    if f"{declaration_id} {member}" in written:
                        continue
                    if rerun():
                        mine = await api.ok("GET", f"{url}/opinions/{declaration_id}", by_expert_id[member])
                        if any(o["expert_id"] == member for o in mine["items"]):
                            written[f"{declaration_id} {member}"] = True
                            continue
                    opinion = {"declaration_id": declaration_id, "score": 88, "text": "业绩突出，同意通过。"}
                    await api.ok("POST", f"{url}/opinions", by_expert_id[member], 201, json=opinion)
                    written[f"{declaration_id} {member}"] = True
            await api.ok("POST", f"{url}/rounds", office, 201, json={})
            rounds = {1: "open"}

        async def ballot(position: int) -> None:
            choices = {declaration_id: vote[position] for declaration_id, vote in tallies.items()}
            # Cast again, NA-7 answers already_voted: the ballot whose answer was lost is in.
            voter = by_expert_id[panel[position]]
            cast = await api.call("POST", f"{url}/rounds/1/ballots", voter, idempotent=True, json={"choices": choices})
            if cast.status_code != 201 and not (cast.status_code == 409 and cast.json().get("code") == "already_voted"):
                raise SeasonError(f"ballot {position} of meeting {index}: {cast.status_code} {cast.text[:600]}")

        if rounds.get(1) == "open":
            await asyncio.gather(*(ballot(p) for p in range(len(panel))))
            await api.ok("POST", f"{url}/rounds/1/closing", office)
        if sitting["status"] != "closed":
            await api.ok("POST", f"{url}/closing", office)
        c["panel"] = panel

    await run.each("meetings", list(range(state.params.committees)), meeting)
    return state.params.committees


async def stage_results(run: Run) -> int:
    """The tallies publicized (NA-11); when the publicity may close, HR confirms them (CM-11)."""
    api, state = run.api, run.state

    async def publicize(index: int) -> None:
        c = state.committees[run.province.committees[index].key]
        url = f"/committees/meetings/{c['meeting_id']}/results"
        seen = await api.call("GET", url, c["office"]) if rerun() else None  # 404 until publicized
        if seen is not None and seen.status_code == 200:
            results = seen.json()
        else:
            results = await api.ok("POST", f"{url}/publicity", c["office"], 201)
        c["evaluated"], c["passed"], c["closes_on"] = (
            results["evaluated_count"],
            results["passed_count"],
            results["closes_on"],
        )

    await run.each("results publicity", list(range(state.params.committees)), publicize)
    closes_on = max(c["closes_on"] for c in state.committees.values())
    await run.move_clock(f"{closes_on}T09:00:00+08:00")

    async def confirm(index: int) -> None:
        c = state.committees[run.province.committees[index].key]
        body = {
            "approving_authority": "山西省人力资源和社会保障厅",
            "document_number": f"晋人社职字〔2026〕{100 + index}号",
            "document_date": closes_on,
        }
        url = f"/committees/meetings/{c['meeting_id']}/results/confirmation"
        # A confirmation confirmed again answers the same one (CM-11): safe to send again after a 504.
        confirmed = await api.ok("POST", url, state.accounts["hr_admin"], idempotent=True, json=body)
        c["confirmation_id"] = str(confirmed["confirmation_id"])

    await run.each("results confirmation", list(range(state.params.committees)), confirm)
    return state.params.committees


def _passed(d: Declaration, record: dict[str, Any]) -> bool:
    return bool(record.get("qualified")) and d.fate != "voted_down"


async def stage_certificates(run: Run) -> int:
    """Each passed applicant's certificate, issued from the confirmation (CE-1), in their own view."""

    async def certificate(d: Declaration) -> None:
        record = run.state.declarations[d.key]

        async def mine() -> list[dict[str, Any]] | None:
            found = await run.api.ok("GET", "/certificates/mine", record["username"])
            items = found if isinstance(found, list) else found.get("items", [])
            return items or None

        items = await run.api.until(mine, timeout=run.wait, what=f"the certificate of {d.key}")
        record["certificate"] = str(items[0]["number"])

    items = run.declarations(where=_passed)
    await run.each("certificates", items, certificate)
    return len(items)


async def stage_verification(run: Run) -> int:
    """Anyone verifies each certificate by its number and the holder's name, without an account (CE-3)."""

    async def verify(d: Declaration) -> None:
        record = run.state.declarations[d.key]
        body = {"number": record["certificate"], "holder_name": d.name}
        answer = await run.api.ok("POST", "/verify/by-number", None, idempotent=True, json=body)  # a read
        record["verified"] = bool(answer["matched"] and answer["valid"])
        if not record["verified"]:
            raise SeasonError(f"certificate {record['certificate']} of {d.key} did not verify: {answer}")

    items = run.declarations(where=lambda d, r: bool(r.get("certificate")))
    await run.each("verification", items, verify)
    return len(items)


STAGES: tuple[tuple[str, Callable[[Run], Awaitable[int]]], ...] = (
    ("setup", stage_setup),
    ("experts", stage_experts),
    ("declare", stage_declare),
    ("unit_review", stage_unit_review),
    ("unit_publicity", stage_unit_publicity),
    ("upper_review", stage_upper_review),
    ("draw", stage_draw),
    ("meeting", stage_meeting),
    ("results", stage_results),
    ("certificates", stage_certificates),
    ("verification", stage_verification),
)
STAGE_NAMES = tuple(name for name, _ in STAGES)


async def run_season(
    state: SeasonState,
    *,
    gateway: str,
    admin_password: str,
    concurrency: int = 8,
    stop_after: str | None = None,
    save: Callable[[SeasonState], None] | None = None,
    progress: bool = True,
    wait: float = 120.0,
    recovery: list[str] | None = None,
    lose_answers: float = 0.0,
) -> SeasonState:
    """Every stage not done yet, in order (up to ``stop_after``); the state saved after each. The
    uncertain writes that made an item run again are appended to ``recovery``."""
    if stop_after is not None and stop_after not in STAGE_NAMES:
        raise ValueError(f"stop_after: one of {', '.join(STAGE_NAMES)}")
    province = generate(state.params)
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    bars = (
        Progress(TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        if progress
        else None
    )
    async with httpx.AsyncClient(base_url=gateway, timeout=60.0, limits=limits) as client:
        api = Api(client, admin_password, concurrency, lose_answers=lose_answers, dice=random.Random(state.params.seed))
        run = Run(api, state, province, bars, wait)
        if recovery is not None:
            run.reruns = recovery  # the caller reads which writes were uncertain
        if bars:
            bars.start()
        try:
            for name, stage in STAGES:
                if name in state.done:
                    continue
                began = time.monotonic()
                requests = api.requests
                run.started = began
                timing = StageTiming(
                    stage=name, started=round(state.elapsed, 3), seconds=0.0, items=0, requests=0, wall=time.time()
                )
                state.timings.append(timing)
                items = await stage(run)
                timing.seconds = round(time.monotonic() - began, 3)
                timing.items, timing.requests = items, api.requests - requests
                state.elapsed = round(state.elapsed + timing.seconds, 3)
                state.done.append(name)
                if save:
                    save(state)
                if name == stop_after:
                    break
        finally:
            if bars:
                bars.stop()
    return state


def expected_counts(state: SeasonState) -> dict[str, int]:
    """What the season should end with, from the generator's shares (module docstring of generator)."""
    counts = state.params.counts()
    refused = counts["el5_corrected"] + counts["el9_corrected"] + counts["abandoned"]
    qualified = state.params.declarations - counts["abandoned"]
    return {
        "declarations": state.params.declarations,
        "refused_first": refused,
        "corrected": counts["el5_corrected"] + counts["el9_corrected"],
        "abandoned": counts["abandoned"],
        "qualified": qualified,
        "passed": qualified - counts["voted_down"],
        "voted_down": counts["voted_down"],
    }


def observed_counts(state: SeasonState) -> dict[str, int]:
    records = list(state.declarations.values())
    return {
        "declarations": len(records),
        "refused_first": sum(1 for r in records if r.get("refused")),
        "corrected": sum(1 for r in records if r.get("corrected")),
        "abandoned": sum(1 for r in records if r.get("refused") and not r.get("submitted")),
        "qualified": sum(1 for r in records if r.get("qualified")),
        "passed": sum(int(c.get("passed", 0)) for c in state.committees.values()),
        "voted_down": sum(int(c.get("evaluated", 0)) - int(c.get("passed", 0)) for c in state.committees.values()),
    }
