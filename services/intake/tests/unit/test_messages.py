"""Refusal messages are for display: the catalog's Chinese names, never internal codes (issue 13)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from zhicheng_common.policy import PolicyPack
from zhicheng_common.series import load_series_catalog
from zhicheng_intake import domain
from zhicheng_intake.reference import qualification_table
from zhicheng_intake.schemas import DeclarationCreate

from .test_eligibility import PACK, _accounting, _skilled, committee, context, declaration_body, window, with_param

# An internal code: a lower-case ASCII word of three letters or more (``economics``, ``junior``).
CODE = re.compile(r"[a-z_]{3,}")


def messages(body: dict[str, Any], ctx: domain.EligibilityContext, pack: PolicyPack = PACK) -> dict[str, str]:
    failures = domain.check_eligibility(
        DeclarationCreate.model_validate(body),
        pack=pack,
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


def _freelancer_through_an_employer() -> dict[str, Any]:
    body = declaration_body()
    body["applicant"]["employer"]["ownership"] = "freelancer"
    return body


# Each case: a declaration one rule refuses, the failure's code, and its message worked out by hand.
WALK = [
    pytest.param(
        _freelancer_through_an_employer(),
        context(),
        PACK,
        "channel_not_allowed",
        "申报渠道“太原市建筑设计研究院”（用人单位）不适用于“自由职业者”类别、在职在岗的申报人",
        id="CH_1",
    ),
    pytest.param(
        declaration_body(applicant__sanction={"kind": "demerit", "until": "2024-12-31"}),
        context(),
        PACK,
        "under_sanction",
        "事业单位工作人员受记过处分期间（至2024-12-31）不得申报",
        id="NA_3",
    ),
    pytest.param(
        # A technician's certificate of 2022-06-01, counted to 2024-12-31 (EL-2): 2 full years of 3.
        _skilled("technician", "2022-06-01", "intermediate"),
        context(),
        PACK,
        "too_few_years_with_skill",
        "取得技师证书后须满3年，现为2年",
        id="NA_17",
    ),
    pytest.param(
        declaration_body(continuing_education=[]),
        context(),
        with_param("continuing_education_total_hours_min", 90),
        "continuing_education_total",
        "2023年度继续教育（合计）0学时，不满90学时",
        id="ED_1",
    ),
    pytest.param(
        declaration_body(),
        context(committee=committee(scope_ownership_kinds=["private_enterprise"])),
        PACK,
        "outside_committee_ownership",
        "评委会山西省工程技术高级职称评审委员会不评审“事业单位”类别的申报人",
        id="CM_4_ownership",
    ),
    pytest.param(
        declaration_body(),
        context(committee=committee(status="suspended")),
        PACK,
        "committee_inactive",
        "评委会山西省工程技术高级职称评审委员会当前不具备评审权（暂停评审）",
        id="CM_4_status",
    ),
]


@pytest.mark.parametrize(("body", "ctx", "pack", "code", "expected"), WALK)
def test_refusal_messages_of_these_rules_hold_no_internal_code(
    body: dict[str, Any], ctx: domain.EligibilityContext, pack: PolicyPack, code: str, expected: str
) -> None:
    message = messages(body, ctx, pack)[code]
    assert message == expected
    assert not CODE.search(message), message
