"""One OpenAPI document for every area: how the gateway merges the services' documents."""

from __future__ import annotations

from typing import Any

from zhicheng_gateway.openapi import merge_documents


def _doc(paths: dict[str, Any], schemas: dict[str, Any], tags: list[str] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "0.1.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }
    if tags:
        document["tags"] = [{"name": t} for t in tags]
    return document


def _get(ref: str) -> dict[str, Any]:
    return {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": ref}}}}}}}


PROBLEM = {"type": "object", "properties": {"code": {"type": "string"}}}


def test_paths_and_schemas_of_every_service_are_merged_into_the_gateway_document() -> None:
    own = _doc({"/api/v1/users": _get("#/components/schemas/Problem")}, {"Problem": PROBLEM})
    intake = _doc(
        {"/api/v1/declarations": _get("#/components/schemas/Declaration")},
        {"Declaration": {"type": "object"}, "Problem": PROBLEM},
    )
    merged = merge_documents(own, {"intake": intake}, title="All")
    assert set(merged["paths"]) == {"/api/v1/users", "/api/v1/declarations"}
    assert set(merged["components"]["schemas"]) == {"Problem", "Declaration"}
    assert merged["info"]["title"] == "All"
    assert merged["x-unavailable"] == []


def test_a_schema_name_clash_with_a_different_definition_is_prefixed_with_the_service_name() -> None:
    own = _doc({}, {"Item": {"type": "object", "title": "gateway item"}})
    review = _doc(
        {"/api/v1/reviews/{id}": _get("#/components/schemas/Item")},
        {"Item": {"type": "object", "title": "review item"}},
    )
    merged = merge_documents(own, {"review": review})
    schemas = merged["components"]["schemas"]
    assert schemas["Item"]["title"] == "gateway item"
    assert schemas["review_Item"]["title"] == "review item"
    ref = merged["paths"]["/api/v1/reviews/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"]["$ref"] == "#/components/schemas/review_Item"


def test_a_schema_referring_to_a_renamed_schema_is_renamed_too() -> None:
    own = _doc({}, {"Leaf": {"type": "string"}, "Node": {"$ref": "#/components/schemas/Leaf"}})
    experts = _doc(
        {"/api/v1/experts": _get("#/components/schemas/Node")},
        {"Leaf": {"type": "integer"}, "Node": {"$ref": "#/components/schemas/Leaf"}},
    )
    merged = merge_documents(own, {"experts": experts})
    schemas = merged["components"]["schemas"]
    assert schemas["Node"] == {"$ref": "#/components/schemas/Leaf"}
    assert schemas["experts_Node"] == {"$ref": "#/components/schemas/experts_Leaf"}
    assert schemas["experts_Leaf"] == {"type": "integer"}


def test_identical_schemas_are_kept_once_under_their_own_name() -> None:
    own = _doc({}, {"Problem": PROBLEM})
    merged = merge_documents(own, {"intake": _doc({}, {"Problem": PROBLEM}), "review": _doc({}, {"Problem": PROBLEM})})
    assert list(merged["components"]["schemas"]) == ["Problem"]


def test_unavailable_services_are_skipped_and_listed_under_x_unavailable() -> None:
    merged = merge_documents(
        _doc({}, {}), {"review": None, "intake": _doc({"/api/v1/declarations": {}}, {}), "experts": None}
    )
    assert merged["x-unavailable"] == ["experts", "review"]
    assert "/api/v1/declarations" in merged["paths"]


def test_a_services_own_root_paths_are_left_out_since_the_gateway_does_not_forward_them() -> None:
    intake = _doc({"/readyz": {}, "/healthz": {}, "/api/v1/declarations/journal": {}}, {})
    merged = merge_documents(_doc({"/healthz": {"get": {}}}, {}), {"intake": intake})
    assert set(merged["paths"]) == {"/healthz", "/api/v1/declarations/journal"}
    assert merged["paths"]["/healthz"] == {"get": {}}  # the gateway's own


def test_tags_are_merged_once_each() -> None:
    merged = merge_documents(_doc({}, {}, ["auth"]), {"intake": _doc({}, {}, ["audit", "auth"])})
    assert [t["name"] for t in merged["tags"]] == ["auth", "audit"]


def test_merging_does_not_modify_the_input_documents() -> None:
    own = _doc({}, {"Item": {"title": "a"}})
    other = _doc({"/api/v1/reviews": _get("#/components/schemas/Item")}, {"Item": {"title": "b"}})
    merge_documents(own, {"review": other})
    assert own == _doc({}, {"Item": {"title": "a"}})
    assert other["paths"]["/api/v1/reviews"] == _get("#/components/schemas/Item")
