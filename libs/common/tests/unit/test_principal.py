"""Principals the platform builds: the system acting for a region, a committee office's binding."""

from __future__ import annotations


def test_the_system_actor_acts_for_the_records_region() -> None:
    from zhicheng_common.auth import system_actor

    county = system_actor("140105")
    assert (county.subject, county.region, county.roles, county.name) == ("system", "140105", {"system"}, "system")
    review = system_actor("140000", service="review")
    assert (review.subject, review.region, review.name) == ("system:review", "140000", "review")
