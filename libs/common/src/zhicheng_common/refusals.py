"""The one value a pure domain function returns when a rule says no (a refusal, 拒绝).

The service layer turns refusals into a problem (RFC 9457) with the rule id; domain code never
raises HTTP errors.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """A rule said no: its id (``""`` when no policy rule applies), a stable code, a Chinese message, the fields."""

    rule: str
    code: str
    message: str
    fields: tuple[str, ...] = ()
