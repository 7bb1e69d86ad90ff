"""One OpenAPI document for every area: the gateway's own merged with each service's.

Services publish their paths already under ``/api/v1/<area>``, so paths merge as they are (a
service's root paths such as ``/healthz`` are not reachable through the gateway and are left out).
Components merge by name; a component a service defines differently from one already merged is
renamed ``<service>_<Name>`` and the service's references to it rewritten. Services that could not
be reached are listed under ``x-unavailable``.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

API_PREFIX = "/api/v1/"
_REF_PREFIX = "#/components/"


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    """A copy of ``node`` with every ``$ref`` found in ``renames`` replaced."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value in renames:
                out[key] = renames[value]
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _ref(section: str, name: str) -> str:
    return f"{_REF_PREFIX}{section}/{name}"


def _free_name(service: str, name: str, taken: Mapping[str, Any]) -> str:
    candidate = f"{service}_{name}"
    counter = 2
    while candidate in taken:
        candidate = f"{service}_{name}_{counter}"
        counter += 1
    return candidate


def _namespace_clashes(
    service: str, components: dict[str, dict[str, Any]], merged: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """Renames (old ``$ref`` → new ``$ref``) for the service's components that clash with merged ones.

    Renaming one component changes the components that reference it, which may make them clash
    in turn, so this repeats until nothing new clashes.
    """
    renames: dict[str, str] = {}
    while True:
        rewritten = _rewrite_refs(components, renames)
        new: list[tuple[str, str]] = []
        for section, entries in rewritten.items():
            existing = merged.get(section, {})
            for name, value in entries.items():
                if _ref(section, name) not in renames and name in existing and existing[name] != value:
                    new.append((section, name))
        if not new:
            return renames
        for section, name in new:
            taken = {**merged.get(section, {}), **components.get(section, {})}
            renames[_ref(section, name)] = _ref(section, _free_name(service, name, taken))


def merge_documents(
    own: Mapping[str, Any], upstream: Mapping[str, Mapping[str, Any] | None], *, title: str | None = None
) -> dict[str, Any]:
    """Merge the gateway's document ``own`` with each service's (``None`` = unavailable)."""
    merged = copy.deepcopy(dict(own))
    if title:
        merged.setdefault("info", {})["title"] = title
    paths: dict[str, Any] = merged.setdefault("paths", {})
    components: dict[str, dict[str, Any]] = merged.setdefault("components", {})
    tags: list[dict[str, Any]] = merged.get("tags", [])
    unavailable: list[str] = []
    for service, document in upstream.items():
        if document is None:
            unavailable.append(service)
            continue
        theirs: dict[str, dict[str, Any]] = copy.deepcopy(dict(document.get("components") or {}))
        renames = _namespace_clashes(service, theirs, components)
        theirs = _rewrite_refs(theirs, renames)
        for section, entries in theirs.items():
            target = components.setdefault(section, {})
            for name, value in entries.items():
                new_ref = renames.get(_ref(section, name))
                target.setdefault(new_ref.rsplit("/", 1)[1] if new_ref else name, value)
        for path, item in _rewrite_refs(dict(document.get("paths") or {}), renames).items():
            if path.startswith(API_PREFIX):
                paths.setdefault(path, item)
        known = {tag.get("name") for tag in tags}
        for tag in document.get("tags") or []:
            if tag.get("name") not in known:
                tags.append(copy.deepcopy(tag))
                known.add(tag.get("name"))
    if tags:
        merged["tags"] = tags
    merged["x-unavailable"] = sorted(unavailable)
    return merged


class OpenApiCache:
    """Keeps the merged document for ``ttl`` seconds (a few seconds when a service was missing)."""

    DEGRADED_TTL = 5.0

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._document: dict[str, Any] | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self, build: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        if self._document is not None and time.monotonic() < self._expires:
            return self._document
        async with self._lock:  # one rebuild at a time; the others wait and reuse it
            if self._document is not None and time.monotonic() < self._expires:
                return self._document
            document = await build()
            ttl = min(self.ttl, self.DEGRADED_TTL) if document.get("x-unavailable") else self.ttl
            self._document, self._expires = document, time.monotonic() + ttl
            return document
