"""Principals the platform builds: the system acting for a region, a committee office's binding."""

from __future__ import annotations


def test_the_system_actor_acts_for_the_records_region() -> None:
    from zhicheng_common.auth import system_actor

    county = system_actor("140105")
    assert (county.subject, county.region, county.roles, county.name) == ("system", "140105", {"system"}, "system")
    review = system_actor("140000", service="review")
    assert (review.subject, review.region, review.name) == ("system:review", "140000", "review")


def test_a_principal_is_bound_to_the_committees_its_claim_names_and_to_none_for_junk() -> None:
    import uuid

    from zhicheng_common.auth import Principal

    committee = "0190d5a0-0000-7000-8000-0000000000c1"
    office = Principal(
        subject="u",
        roles=frozenset({"committee_office"}),
        region="140000",
        committees=frozenset({committee, "not-a-uuid"}),
    )
    assert office.committee_ids == [uuid.UUID(committee)]
