"""The shared ``*_provisional`` field: false by default, documented the same way in every service."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from zhicheng_common.schemas import PROVISIONAL_DESCRIPTION, examples, provisional_flag


class _Due(BaseModel):
    due_provisional: bool = provisional_flag(True)
    other_provisional: bool = provisional_flag(False, "own words")


def test_provisional_flag_defaults_to_false_and_keeps_its_example() -> None:
    assert _Due().due_provisional is False
    assert _Due(due_provisional=True).due_provisional is True
    properties = _Due.model_json_schema()["properties"]
    assert properties["due_provisional"] == {
        "default": False,
        "description": PROVISIONAL_DESCRIPTION,
        "examples": [True],
        "title": "Due Provisional",
        "type": "boolean",
    }
    assert properties["other_provisional"]["description"] == "own words"
    assert properties["other_provisional"]["examples"] == [False]


class _Shown(BaseModel):
    model_config = examples({"code": "a"}, {"code": "b"}, extra="forbid")

    code: str


def test_examples_lists_whole_bodies_in_order_and_keeps_the_models_settings() -> None:
    assert _Shown.model_json_schema()["examples"] == [{"code": "a"}, {"code": "b"}]
    assert _Shown.model_config["extra"] == "forbid"
    assert "from_attributes" not in _Shown.model_config
    with pytest.raises(ValidationError):
        _Shown.model_validate({"code": "a", "unknown": 1})
