"""What the system does while faults land: declarations saved and submitted through the gateway.

A client as a front-end is written: every call is retried on a lost connection, a timeout, a 5xx
or a 429 until it has an answer, and the retries are safe: a draft carries an ``Idempotency-Key``
(a second save answers the first draft), and a second submit of a submitted declaration answers
409 ``wrong_state``, which is the answer "already done". Each accepted submission is an event that
review must turn into exactly one review (the invariant checked afterwards).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import httpx

from bench.intake_bench import declaration_for

from .stack import API

RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class WorkloadResult:
    submitted: list[str] = field(default_factory=list)  # declaration ids intake accepted
    retries: int = 0  # calls repeated after a fault's error
    refused: list[str] = field(default_factory=list)  # answers that were neither success nor retryable


async def call(
    client: httpx.AsyncClient, result: WorkloadResult, method: str, url: str, **kwargs: object
) -> httpx.Response:
    """One call, repeated with a growing pause (at most 2 s) until it gets an answer that is not a fault's."""
    pause = 0.1
    while True:
        try:
            answer = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
            if answer.status_code not in RETRY_STATUSES:
                return answer
        except httpx.TransportError:
            pass
        result.retries += 1
        await asyncio.sleep(pause)
        pause = min(2.0, pause * 2)


async def login(client: httpx.AsyncClient, result: WorkloadResult, username: str, password: str) -> dict[str, str]:
    answer = await call(client, result, "POST", f"{API}/auth/token", data={"username": username, "password": password})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def submit_declarations(
    headers: dict[str, str], committee_id: str, year: int, *, run: str, first: int, count: int, concurrency: int = 8
) -> WorkloadResult:
    """Save and submit ``count`` eligible declarations of distinct applicants (numbers from ``first``)."""
    result = WorkloadResult()
    base = f"{API}/declarations"
    numbers = list(range(first, first + count))
    async with httpx.AsyncClient(timeout=30.0) as client:

        async def one(n: int) -> None:
            body = declaration_for(uuid.UUID(committee_id), year, n, eligible=True)
            saved = await call(
                client, result, "POST", base, json=body, headers={**headers, "Idempotency-Key": f"chaos-{run}-{n}"}
            )
            if saved.status_code not in (200, 201):
                result.refused.append(f"draft {n}: {saved.status_code} {saved.text[:200]}")
                return
            declaration_id = str(saved.json()["id"])
            submitted = await call(client, result, "POST", f"{base}/{declaration_id}/submit", headers=headers)
            if submitted.status_code == 200 or (
                submitted.status_code == 409 and submitted.json().get("code") == "wrong_state"
            ):
                result.submitted.append(declaration_id)
            else:
                result.refused.append(f"submit {n}: {submitted.status_code} {submitted.text[:200]}")

        async def worker() -> None:
            while numbers:
                await one(numbers.pop())

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result
