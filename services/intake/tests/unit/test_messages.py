"""Refusal messages are for display: the catalog's Chinese names, never internal codes (issue 13)."""

from __future__ import annotations

import re
from typing import Any

from zhicheng_common.series import load_series_catalog
from zhicheng_intake import domain
from zhicheng_intake.reference import qualification_table
from zhicheng_intake.schemas import DeclarationCreate

from .test_eligibility import PACK, _accounting, committee, context, declaration_body, window

# An internal code: a lower-case ASCII word of three letters or more (``economics``, ``junior``).
CODE = re.compile(r"[a-z_]{3,}")


def messages(body: dict[str, Any], ctx: domain.EligibilityContext) -> dict[str, str]:
    failures = domain.check_eligibility(
        DeclarationCreate.model_validate(body),
        pack=PACK,
        catalog=load_series_catalog(),
        table=qualification_table(),
        context=ctx,
    )
    return {f.code: f.message for f in failures}


def test_CM_4_a_committee_of_another_series_is_named_in_chinese() -> None:
    ctx = context(committee=committee(series="economics"), windows=(window(series="economics"),))
    message = messages(declaration_body(), ctx)["outside_committee_series"]
    assert "只评审经济系列各专业" in message
    assert "不含工程技术系列建筑工程专业" in message
    assert not CODE.search(message), message


def test_CM_4_a_committee_of_other_levels_names_the_levels_in_chinese() -> None:
    ctx = context(committee=committee(levels=["junior", "intermediate"]))
    message = messages(declaration_body(), ctx)["outside_committee_levels"]
    assert message.endswith("只评审初级、中级层级，不含副高级")
    assert not CODE.search(message), message


def test_EL_9_the_current_rank_is_named_in_chinese() -> None:
    body = declaration_body()
    body["current_title"]["rank"] = "assistant"
    body["current_title"]["title_name"] = "助理工程师"
    message = messages(body, context())["skips_a_level"]
    assert message == "须逐级申报：现职称助理级，只可申报高1级"


def test_EL_16_an_exam_instead_series_is_named_in_chinese() -> None:
    body, ctx = _accounting("intermediate")
    body["current_title"]["rank"] = "assistant"
    body["current_title"]["title_name"] = "助理会计师"
    message = messages(body, ctx)["exam_instead"]
    assert message == "会计系列中级以考代评，不进行评审"
