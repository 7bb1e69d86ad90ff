"""An undeclared method on a path the gateway declares is 405 with ``Allow``, not the forwarder's 404."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from zhicheng_common.problems import PROBLEM_MEDIA_TYPE
from zhicheng_common.settings import CommonSettings
from zhicheng_gateway.app import create_app
from zhicheng_gateway.proxy import Upstreams
from zhicheng_gateway.settings import GatewaySettings


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    # No lifespan (no database needed): the upstreams are made here, as the lifespan would.
    settings = GatewaySettings()
    app = create_app(CommonSettings(), settings)
    app.state.upstreams = Upstreams(settings)
    return TestClient(app)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/v1/openapi.json", "GET"),
        ("POST", "/api/v1/healthz", "GET"),
        ("PUT", "/api/v1/docs", "GET"),
        ("GET", "/api/v1/auth/token", "POST"),
        ("DELETE", "/api/v1/gateway/journal", "GET"),
    ],
)
def test_an_undeclared_method_on_a_gateway_path_is_405_with_allow(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allow
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert body["title"] == "不支持的请求方法"


def test_an_unknown_area_is_still_404(client: TestClient) -> None:
    response = client.delete("/api/v1/nowhere/1")
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "unknown_area"
