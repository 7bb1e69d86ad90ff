"""The gateway's scrypt pool (service.Passwords): a burst of sign-ins runs at most ``workers`` at once.

Each scrypt holds 16 MiB while it runs (docs/memory.md); on asyncio's default pool six ran at once.
"""

from __future__ import annotations

import asyncio
import threading

from zhicheng_gateway.domain import hash_password, verify_password
from zhicheng_gateway.service import Passwords


async def test_a_burst_of_eight_checks_on_one_worker_runs_them_one_at_a_time_and_answers_each() -> None:
    running, most = 0, 0
    lock = threading.Lock()
    stored = hash_password("Tai-yuan-2026!")

    def check(password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return verify_password(password, stored)
        finally:
            with lock:
                running -= 1

    passwords = Passwords(1)
    try:
        # Four right and four wrong, interleaved: each answer is its own call's.
        asked = ["Tai-yuan-2026!", "wrong"] * 4
        answers = await asyncio.gather(*(passwords.run(check, p) for p in asked))
    finally:
        passwords.close()
    assert answers == [True, False] * 4
    assert most == 1
