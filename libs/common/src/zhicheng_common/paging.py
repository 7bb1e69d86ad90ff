"""The one pagination dependency of every list route: ``limit`` and ``offset`` with bounds.

Unbounded, an ``offset`` of 2^63 passed validation and overflowed PostgreSQL's bigint in the
query: a 500. Out-of-range values are now a 422 problem naming the field, before any query runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# A work queue is read in longer pages (a reviewer's whole day of items).
MAX_QUEUE_LIMIT = 500
# Far beyond any list a person pages through, and well inside PostgreSQL's bigint (and int4).
MAX_OFFSET = 1_000_000
# The largest id a bigint column holds: an id or cursor past it can match nothing and would overflow.
MAX_BIGINT = 2**63 - 1


@dataclass(frozen=True)
class Page:
    """Which slice of a list: at most ``limit`` items after skipping ``offset``."""

    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page (1–{MAX_LIMIT})")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"items to skip (0–{MAX_OFFSET})")] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


Paging = Annotated[Page, Depends(page_params)]


async def queue_page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_QUEUE_LIMIT, description=f"items per page (1–{MAX_QUEUE_LIMIT})")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"items to skip (0–{MAX_OFFSET})")] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


QueuePaging = Annotated[Page, Depends(queue_page_params)]
