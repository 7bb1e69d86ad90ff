"""Every route of the API keys and the feeds shows examples of what it takes and answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zhicheng_common.openapi_check import resolve
from zhicheng_common.settings import CommonSettings
from zhicheng_gateway.app import create_app
from zhicheng_gateway.settings import GatewaySettings


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory: Path = tmp_path_factory.mktemp("feeds-doc")
    app = create_app(
        CommonSettings(environment="test", data_dir=directory, keys_dir=directory / "k"), GatewaySettings()
    )
    built: dict[str, Any] = app.openapi()
    return built


def has_examples(media: dict[str, Any], root: dict[str, Any]) -> bool:
    if "example" in media or "examples" in media:
        return True
    schema = resolve(media.get("schema", {}), root)
    if schema.get("type") == "array":
        schema = resolve(schema.get("items", {}), root)
    return bool(schema.get("examples"))


def test_every_feed_and_key_route_has_examples(document: dict[str, Any]) -> None:
    walked = []
    for path, item in document["paths"].items():
        if not path.startswith(("/api/v1/feeds", "/api/v1/api-keys")):
            continue
        for method, operation in item.items():
            walked.append(f"{method.upper()} {path}")
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                assert has_examples(media, document), f"{method} {path} request"
            success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            for media in success.get("content", {}).values():
                assert has_examples(media, document), f"{method} {path} response"
    # 7 key routes and 8 feed routes.
    assert len(walked) == 15, walked


def test_key_routes_name_the_api_key_scheme(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "机构或第三方的 API 密钥 (docs/api-keys.md)",
    }
    assert document["paths"]["/api/v1/feeds/{subscription_id}/events"]["get"]["security"] == [{"apiKey": []}]
    assert document["paths"]["/api/v1/api-keys/me"]["get"]["security"] == [{"apiKey": []}]
    assert document["paths"]["/api/v1/feeds/catalog"]["get"]["security"] == []
