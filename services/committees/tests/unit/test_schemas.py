"""Request models of committees: what they refuse and with which code."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from zhicheng_committees.schemas import PackId
from zhicheng_common.problems import validation_errors


def test_an_unknown_policy_pack_is_refused_with_the_shared_code_and_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(PackId).validate_python("atlantis-2024")
    [error] = validation_errors(refused.value.errors())
    assert error.code == "unknown_policy_pack"
    assert error.message.startswith("没有此政策包：atlantis-2024（可用：")
    assert "shanxi-2024" in error.message


def test_a_shipped_pack_passes() -> None:
    assert TypeAdapter(PackId).validate_python("shanxi-2024") == "shanxi-2024"
