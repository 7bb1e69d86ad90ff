"""Fields that the request and response bodies of several services share.

A due day counted through a year whose holiday arrangement (节假日安排) is not published yet is
provisional: it is counted with the provisional holidays and no make-up days, and recomputed once
the arrangement is loaded. Every body that carries such a day carries its ``*_provisional`` flag,
with the same meaning in every service.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

__all__ = ["PROVISIONAL_DESCRIPTION", "provisional_flag"]

PROVISIONAL_DESCRIPTION = (
    "Counted through a year without an official holiday arrangement (provisional holidays, "
    "no make-up days): recomputed once it is loaded"
)


def provisional_flag(example: bool, description: str = PROVISIONAL_DESCRIPTION) -> Any:
    """The ``*_provisional`` field of a counted day: false unless the count crossed an unpublished year.

    Args:
        example: the value shown as the field's example in the OpenAPI document.
        description: the field's description, when the body words it for its own day.

    Returns:
        The pydantic field (default ``False``); ``Any`` as :func:`pydantic.Field` returns it.
    """
    return Field(default=False, examples=[example], description=description)
