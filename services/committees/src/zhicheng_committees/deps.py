"""What the feature folders share: the service's context built once in ``create_app()``, the tools
of one request, the 422 of a payload that does not hold together, and the problem documents the
routes name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends

from zhicheng_committees.ballot.keyring import BallotKeyring
from zhicheng_committees.errors import InvalidPayload
from zhicheng_common.api import service_context
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.clock import Clock, china_today
from zhicheng_common.keys import KeyRing
from zhicheng_common.pii import PiiCipher
from zhicheng_common.problems import FieldError, problem_doc


@dataclass(frozen=True)
class Tools:
    """What use cases need besides the session: today's date, the calendar, the PII cipher, the keys of
    the open rounds' envelopes (in memory only) and the ring that signs tallies."""

    now: datetime
    today: date
    calendar: WorkingDayCalendar
    cipher: PiiCipher
    ballot_keys: BallotKeyring
    tally_keys: KeyRing


@dataclass(frozen=True)
class CommitteesContext:
    """The service's context, built once in ``create_app()``: the clock, the working-day calendar, the
    PII cipher, the envelope keys of the open rounds and the tally signing ring."""

    clock: Clock
    calendar: WorkingDayCalendar
    cipher: PiiCipher
    ballot_keys: BallotKeyring
    tally_keys: KeyRing

    def tools(self) -> Tools:
        """The tools of one request: its instant and today's China date, read once from the clock."""
        now = self.clock.now()
        return Tools(
            now=now,
            today=china_today(now),
            calendar=self.calendar,
            cipher=self.cipher,
            ballot_keys=self.ballot_keys,
            tally_keys=self.tally_keys,
        )


def invalid_payload(problems: Sequence[tuple[str, str]]) -> InvalidPayload:
    """A 422 naming each field that does not hold together (dates out of order, a specialty not of the series)."""
    fields = "、".join(field for field, _ in problems)
    return InvalidPayload(
        f"以下字段有误：{fields}",
        errors=[FieldError(field=field, code="value_error", message=message) for field, message in problems],
    )


async def _tools(context: Annotated[CommitteesContext, Depends(service_context)]) -> Tools:
    """Today's date (China) from the injectable clock, the working-day calendar and the PII cipher."""
    return context.tools()


ToolsDep = Annotated[Tools, Depends(_tools)]

RULE_REFUSED = problem_doc("不符合政策规定 (rule_refused 等; `rule` 字段给出规则编号)")
FORBIDDEN = problem_doc(
    "角色、核准权限或管辖范围不符 (role_required, approval_authority_required, outside_jurisdiction)"
)
