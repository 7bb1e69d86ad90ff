"""The shared ``*_provisional`` field: false by default, documented the same way in every service."""

from __future__ import annotations

from pydantic import BaseModel

from zhicheng_common.schemas import PROVISIONAL_DESCRIPTION, provisional_flag


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
