"""Canonical JSON: the bytes a signature over a JSON document covers (sorted keys, no spaces, UTF-8).

Services that sign a document (a tally, a decision, a draw) and anyone verifying it must produce
the same bytes from the same content; this is that one function.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """``content`` as canonical JSON bytes: keys sorted, no whitespace, UTF-8, no NaN."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
