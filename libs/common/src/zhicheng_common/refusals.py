"""The one value a pure domain function returns when a rule says no (a refusal, 拒绝), and the one
place that turns refusals into a problem (RFC 9457).

Domain code never raises HTTP errors: it returns ``Refusal`` values (or ``None``/``[]`` when nothing
refused); the service raises ``refused(...)`` of them, which carries the status, the stable code,
the Chinese message and the rule id to the problem handler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import EllipsisType
from typing import Any

from zhicheng_common.problems import Conflict, FieldError, ProblemError, RuleRefused


@dataclass(frozen=True)
class Refusal:
    """A rule said no.

    Attributes:
        rule: the policy rule id, or ``None``/``""`` for a plain check that no rule states.
        code: the stable machine code (``errors[].code``, and the problem's ``code`` by default).
        message: the Chinese text for display.
        fields: the request fields it concerns (one ``errors[]`` entry each).
        facts: the figures the rule compared (counted years, the required number...), for display;
            ``None`` when the refusal carries none (``{}`` is shown as an empty ``facts``).
        parts: per-field reasons when they say more than the headline (each one ``errors[]`` entry
            instead of the headline's own).
    """

    rule: str | None
    code: str
    message: str
    fields: tuple[str, ...] = ()
    facts: Mapping[str, Any] | None = None
    parts: tuple[Refusal, ...] = ()

    def for_field(self, name: str, code: str, message: str) -> Refusal:
        """This refusal with an ``errors[]`` entry naming the field ``name`` in its own words (and the same rule)."""
        return replace(self, parts=(*self.parts, Refusal(self.rule, code, message, (name,))))

    def field_errors(self) -> list[FieldError]:
        """The ``errors[]`` entries of this refusal."""
        if self.parts:
            return [error for part in self.parts for error in part.field_errors()]
        return [
            FieldError(
                field=name,
                code=self.code,
                message=self.message,
                rule=self.rule or None,
                facts=None if self.facts is None else dict(self.facts),
            )
            for name in (self.fields or (None,))
        ]


def refused(
    refusals: Refusal | Sequence[Refusal],
    *,
    error: type[ProblemError] | None = None,
    code: str | None = None,
    rule: str | EllipsisType | None = ...,
    detail: str | None = None,
) -> ProblemError:
    """The problem to raise for one or more refusals (at least one).

    Args:
        refusals: what the domain returned; every one becomes ``errors[]`` entries.
        error: the problem class (its status and title); by default ``RuleRefused`` (409) when a
            rule refused, else ``Conflict`` (409).
        code: the problem's ``code``; by default the first refusal's.
        rule: the problem's ``rule``; by default the first refusal's.
        detail: the problem's ``detail``; by default the messages joined with ``；``.
    """
    every = [refusals] if isinstance(refusals, Refusal) else list(refusals)
    first = every[0]
    if error is None:
        error = RuleRefused if any(r.rule for r in every) else Conflict
    return error(
        detail if detail is not None else "；".join(r.message for r in every),
        code=code if code is not None else first.code,
        rule=(first.rule or None) if isinstance(rule, EllipsisType) else rule,
        errors=[e for r in every for e in r.field_errors()],
    )


def raise_refused(refusals: Refusal | Sequence[Refusal] | None, *, error: type[ProblemError] | None = None) -> None:
    """Raise ``refused(refusals)`` when the domain refused (a refusal, or a non-empty list)."""
    if refusals is None or (not isinstance(refusals, Refusal) and not refusals):
        return
    raise refused(refusals, error=error)
