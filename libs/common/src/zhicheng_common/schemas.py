"""Fields that the request and response bodies of several services share.

A due day counted through a year whose holiday arrangement (节假日安排) is not published yet is
provisional: it is counted with the provisional holidays and no make-up days, and recomputed once
the arrangement is loaded. Every body that carries such a day carries its ``*_provisional`` flag,
with the same meaning in every service.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PROVISIONAL_DESCRIPTION", "examples", "fields_of", "from_record", "provisional_flag"]

M = TypeVar("M", bound=BaseModel)


def from_record(model: type[M], record: object, /, **values: Any) -> M:
    """The body ``model`` of a stored ``record``: every field is the record's attribute of the same
    name unless ``values`` gives it (a derived, decrypted or renamed field).

    A read model that mirrors its row is then one line, and a field added to both is carried
    without touching the builder. A field the record lacks and ``values`` does not give is an
    ``AttributeError``, not a silent default.
    """
    fields = {name: getattr(record, name) for name in model.model_fields if name not in values}
    return model(**fields, **values)


def fields_of(body: object, *names: str) -> dict[str, Any]:
    """``names`` of ``body`` as keywords, each value as the body holds it: the fields a new row takes
    unchanged from its request (``Expert(**fields_of(expert_in, "name", "phone"), ...)``)."""
    return {name: getattr(body, name) for name in names}


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


def examples(
    *values: Any, extra: Literal["allow", "ignore", "forbid"] | None = None, from_attributes: bool | None = None
) -> ConfigDict:
    """A model's config whose OpenAPI schema shows ``values`` as its examples, with the model's other settings.

    Args:
        values: whole example bodies, in the order the document lists them.
        extra: pydantic's ``extra`` (``"forbid"`` for a request body that refuses unknown fields).
        from_attributes: pydantic's ``from_attributes`` (a read built from a table row).

    Returns:
        The ``model_config`` of the model.
    """
    config = ConfigDict(json_schema_extra={"examples": list(values)})
    if extra is not None:
        config["extra"] = extra
    if from_attributes is not None:
        config["from_attributes"] = from_attributes
    return config
