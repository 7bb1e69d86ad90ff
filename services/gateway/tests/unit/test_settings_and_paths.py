"""Gateway settings and which forwarded paths are public."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from zhicheng_common.topology import DOMAIN_SERVICES
from zhicheng_gateway.proxy import is_public_path
from zhicheng_gateway.settings import GatewaySettings

PREFIXES = ["/api/v1/certificates/verify"]


def test_every_domain_service_has_an_upstream_url_defaulting_to_its_topology_port() -> None:
    urls = GatewaySettings().upstream_urls()
    assert urls == {info.name: info.default_url for info in DOMAIN_SERVICES}


def test_an_upstream_url_is_set_per_service_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZC_GATEWAY_REVIEW_URL", "http://review.internal:9000/")
    assert GatewaySettings().upstream_urls()["review"] == "http://review.internal:9000"


def test_only_the_publicity_routes_are_public_by_default() -> None:
    assert GatewaySettings().public_path_prefixes == ["/api/v1/reviews/public", "/api/v1/certificates/public"]


def test_a_public_prefix_must_lie_under_the_api() -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(public_path_prefixes=["/metrics"])


def test_the_admin_region_must_be_a_region_code() -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(admin_region="990000")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/certificates/verify", "/api/v1/certificates/verify/", "/api/v1/certificates/verify/ZC-2026-1"],
)
def test_a_public_prefix_covers_itself_and_everything_below_it(path: str) -> None:
    assert is_public_path(path, PREFIXES)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/certificates/verifyall",
        "/api/v1/certificates",
        "/api/v1/certificates/verify/../revoke",
        "/api/v1/certificates/verify/./x",
    ],
)
def test_a_path_beside_a_public_prefix_or_with_dot_segments_is_not_public(path: str) -> None:
    assert not is_public_path(path, PREFIXES)
