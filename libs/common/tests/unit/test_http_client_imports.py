"""The HTTP client every service (and the gateway's proxy) sends with imports nothing per request.

httpcore asks ``sniffio`` which async library runs on every request it sends; when sniffio is not
installed the failed import walks ``sys.path`` each time (13 % of the gateway's CPU under load,
issue 11 §6), so the platform depends on it.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

import httpcore._synchronization


class _Recorder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        self.looked_up.append(fullname)
        return None


def test_asking_for_the_async_library_looks_up_no_module() -> None:
    async def ask() -> list[str]:
        return [httpcore._synchronization.current_async_library() for _ in range(3)]

    recorder = _Recorder()
    sys.meta_path.insert(0, recorder)
    try:
        answers = asyncio.run(ask())
    finally:
        sys.meta_path.remove(recorder)
    assert answers == ["asyncio"] * 3
    assert recorder.looked_up == []
