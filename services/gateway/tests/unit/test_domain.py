"""Pure rules of the gateway: password hashing and role grants."""

from __future__ import annotations

import pytest

from zhicheng_common.auth import Role
from zhicheng_gateway.domain import (
    grantable_roles,
    hash_password,
    ungrantable_roles,
    verify_password,
)


def test_a_password_verifies_against_its_own_hash() -> None:
    stored = hash_password("Tai-yuan-2026!")
    assert verify_password("Tai-yuan-2026!", stored)


def test_a_wrong_password_does_not_verify() -> None:
    stored = hash_password("Tai-yuan-2026!")
    assert not verify_password("tai-yuan-2026!", stored)
    assert not verify_password("", stored)


def test_the_same_password_hashes_differently_each_time_because_of_the_random_salt() -> None:
    first, second = hash_password("same-password"), hash_password("same-password")
    assert first != second
    assert first.split("$")[4] != second.split("$")[4]  # the salts
    assert verify_password("same-password", first)
    assert verify_password("same-password", second)


def test_the_stored_hash_names_scrypt_and_its_cost_and_never_contains_the_password() -> None:
    stored = hash_password("Tai-yuan-2026!")
    scheme, n, r, p, _salt, _key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert "Tai-yuan" not in stored


def test_a_hash_made_with_other_cost_parameters_still_verifies() -> None:
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    key = hashlib.scrypt(b"old-password", salt=salt, n=2**10, r=8, p=1, dklen=32)
    stored = f"scrypt${2**10}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert verify_password("old-password", stored)
    assert not verify_password("new-password", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text",
        "scrypt$16384$8$1$not base64!$AAAA",
        "bcrypt$16384$8$1$AAAA$AAAA",
        "scrypt$x$8$1$AAAA$AAAA",
    ],
)
def test_a_malformed_stored_hash_never_matches(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_a_province_admin_may_grant_every_role() -> None:
    assert grantable_roles([Role.PROVINCE_ADMIN]) == set(Role)
    assert ungrantable_roles([Role.PROVINCE_ADMIN], list(Role)) == []


def test_an_hr_admin_may_grant_every_role_but_province_admin_and_auditor() -> None:
    assert grantable_roles([Role.HR_ADMIN]) == set(Role) - {Role.PROVINCE_ADMIN, Role.AUDITOR}


@pytest.mark.parametrize("role", [Role.PROVINCE_ADMIN, Role.AUDITOR])
def test_an_hr_admin_may_not_grant_province_admin_or_auditor(role: Role) -> None:
    assert ungrantable_roles([Role.HR_ADMIN], [Role.HR_REVIEWER, role]) == [role]


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.PROVINCE_ADMIN, Role.HR_ADMIN}))
def test_no_other_role_may_grant_anything(role: Role) -> None:
    assert grantable_roles([role]) == frozenset()
    assert ungrantable_roles([role], [Role.APPLICANT]) == [Role.APPLICANT]


def test_holding_several_roles_grants_the_union_of_what_each_may_grant() -> None:
    assert grantable_roles([Role.HR_ADMIN, Role.AUDITOR]) == grantable_roles([Role.HR_ADMIN])
    assert grantable_roles([Role.HR_ADMIN, Role.PROVINCE_ADMIN]) == set(Role)


def test_roles_the_granter_does_not_know_are_never_grantable() -> None:
    assert ungrantable_roles([Role.PROVINCE_ADMIN], ["superuser"]) == ["superuser"]
