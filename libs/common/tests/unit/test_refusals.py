"""The one refusal value of the domain and the one place that turns refusals into a problem (issue 13)."""

from __future__ import annotations

import pytest

from zhicheng_common.problems import Conflict, ProblemError, RuleRefused
from zhicheng_common.refusals import Refusal, raise_refused, refused


def test_EL_2_a_rule_refusal_is_a_409_naming_the_rule_the_field_and_its_facts() -> None:
    refusal = Refusal(
        "EL-2", "too_few_years", "取得中级职称后须满5年，现为3年", ("titles.0.obtained_on",), {"years": 3}
    )
    problem = refused(refusal).to_problem()
    assert (problem.status, problem.code, problem.rule) == (409, "too_few_years", "EL-2")
    assert problem.detail == "取得中级职称后须满5年，现为3年"
    [error] = problem.errors
    assert (error.field, error.code, error.rule, error.facts) == (
        "titles.0.obtained_on",
        "too_few_years",
        "EL-2",
        {"years": 3},
    )


def test_several_refusals_are_one_problem_the_first_names_its_code_and_rule() -> None:
    first = Refusal("CM-4", "outside_committee_series", "评委会只评审工程技术系列", ("committee_id",))
    second = Refusal(None, "unknown_specialty", "工程技术系列没有所填专业", ("target.specialty",))
    problem = refused([first, second]).to_problem()
    assert (problem.code, problem.rule) == ("outside_committee_series", "CM-4")
    assert problem.detail == "评委会只评审工程技术系列；工程技术系列没有所填专业"
    assert [(e.field, e.rule) for e in problem.errors] == [("committee_id", "CM-4"), ("target.specialty", None)]


def test_a_plain_check_no_rule_states_is_a_conflict_without_a_rule() -> None:
    error = refused(Refusal(None, "pre_meeting_already_filed", "该会议已完成会前备案"))
    assert type(error) is Conflict
    assert not isinstance(error, RuleRefused)
    problem = error.to_problem()
    assert (problem.status, problem.rule) == (409, None)
    assert [(e.field, e.code) for e in problem.errors] == [(None, "pre_meeting_already_filed")]


def test_raise_refused_raises_only_when_the_domain_refused() -> None:
    raise_refused(None)
    raise_refused([])
    with pytest.raises(ProblemError) as raised:
        raise_refused([Refusal("NA-9", "recused", "已回避的专家不能投票")])
    assert raised.value.to_problem().code == "recused"
