"""The origin check of consumers (issue 10 §2): pure, on envelopes and subjects."""

from __future__ import annotations

from datetime import UTC, datetime

from zhicheng_common.events.authenticity import origin_problem, producer_of
from zhicheng_common.events.envelope import CloudEvent


def event(source: str, type_: str) -> CloudEvent:
    return CloudEvent(id="e1", source=source, type=type_, subject="a1", time=datetime(2026, 12, 1, tzinfo=UTC))


def test_the_producer_is_the_token_after_the_prefix() -> None:
    assert producer_of("zc.committees.committee.approved", "zc") == "committees"
    assert producer_of("zct1a.review.integrity.requested", "zct1a") == "review"
    assert producer_of("zc-deadletter.intake-committees", "zc") is None
    assert producer_of("other.intake.declaration.submitted", "zc") is None


def test_an_envelope_of_the_subjects_producer_passes() -> None:
    genuine = event("/zhicheng/committees", "cn.zhicheng.committees.committee.approved.v1")
    assert origin_problem(genuine, subject="zc.committees.committee.approved", prefix="zc") is None


def test_another_services_source_is_refused() -> None:
    forged = event("/zhicheng/intake", "cn.zhicheng.committees.committee.approved.v1")
    problem = origin_problem(forged, subject="zc.committees.committee.approved", prefix="zc")
    assert (
        problem
        == "source /zhicheng/intake on zc.committees.committee.approved: only /zhicheng/committees publishes there"
    )


def test_another_services_type_is_refused_even_with_the_right_source() -> None:
    forged = event("/zhicheng/committees", "cn.zhicheng.integrity.record.decided.v1")
    problem = origin_problem(forged, subject="zc.committees.committee.approved", prefix="zc")
    assert problem == (
        "type cn.zhicheng.integrity.record.decided.v1 on zc.committees.committee.approved: only types of committees"
        " belong there"
    )


def test_a_prefix_lookalike_service_name_is_not_the_producer() -> None:
    # "/zhicheng/committeesx" must not pass for committees, nor "cn.zhicheng.committeesx." for its types.
    forged = event("/zhicheng/committees", "cn.zhicheng.committeesx.committee.approved.v1")
    assert origin_problem(forged, subject="zc.committees.committee.approved", prefix="zc") is not None
    assert (
        origin_problem(
            event("/zhicheng/committeesx", "cn.zhicheng.committees.committee.approved.v1"),
            subject="zc.committees.committee.approved",
            prefix="zc",
        )
        is not None
    )
