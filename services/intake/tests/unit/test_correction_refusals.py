"""The refusals intake's domain returns for corrections (RV-3) and attachments (NA-5), and their problems."""

from __future__ import annotations

from datetime import date

from zhicheng_common.policy import load_pack
from zhicheng_common.problems import RuleRefused
from zhicheng_common.refusals import refused
from zhicheng_intake import domain

NOT_ASKED_AGAIN = load_pack("shanxi-2024").parameters.not_asked_again_fields


def test_RV_3_a_correction_is_accepted_through_its_deadline_day_and_refused_the_day_after() -> None:
    assert domain.correction_deadline_refusal(date(2024, 10, 10), date(2024, 10, 10)) is None
    assert domain.correction_deadline_refusal(None, date(2030, 1, 1)) is None
    late = domain.correction_deadline_refusal(date(2024, 10, 10), date(2024, 10, 11))
    assert late is not None
    assert (late.rule, late.code, late.message) == ("RV-3", "correction_deadline_passed", "补正期限2024-10-10已过")


def test_RV_3_a_correction_outside_the_listed_items_names_every_field_changed() -> None:
    changed = {"applicant.post", "applicant.education.major", "achievements.0.title"}
    refusal = domain.correction_scope_refusal(changed, ["applicant.education"])
    assert refusal is not None
    problem = refused(refusal)
    assert isinstance(problem, RuleRefused)
    assert (problem.code, problem.rule) == ("outside_correction_list", "RV-3")
    assert [(e.field, e.code, e.rule) for e in problem.errors] == [
        ("achievements.0.title", "not_listed", "RV-3"),
        ("applicant.post", "not_listed", "RV-3"),
    ]
    assert domain.correction_scope_refusal({"applicant.education.major"}, ["applicant.education"]) is None


def test_NA_5_an_attachment_of_proof_checked_elsewhere_is_refused() -> None:
    kind = NOT_ASKED_AGAIN.value[0]
    refusal = domain.attachment_refusal(kind, NOT_ASKED_AGAIN.value, NOT_ASKED_AGAIN.rule)
    assert refusal is not None
    problem = refused(refusal)
    assert (problem.status, problem.code, problem.rule) == (409, "proof_not_required", NOT_ASKED_AGAIN.rule)
    assert [(e.field, e.code, e.rule) for e in problem.errors] == [("kind", "verifiable_elsewhere", "NA-5")]
    assert domain.attachment_refusal("paper", NOT_ASKED_AGAIN.value, NOT_ASKED_AGAIN.rule) is None
