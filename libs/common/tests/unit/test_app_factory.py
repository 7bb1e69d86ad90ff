"""One app factory: the service its settings name gives the app its area, title and paths."""

from __future__ import annotations

from pathlib import Path

from zhicheng_certificates.app import create_app as create_certificates
from zhicheng_common.settings import CommonSettings
from zhicheng_experts.app import create_app as create_experts
from zhicheng_experts.settings import ExpertsSettings


def test_a_service_named_by_its_settings_gets_its_topology_title_and_documents(tmp_path: Path) -> None:
    common = CommonSettings(environment="test", data_dir=tmp_path)
    experts = create_experts(common, ExpertsSettings())
    assert (experts.title, experts.openapi_url, experts.docs_url) == (
        "评审专家库 (expert pool)",
        "/api/v1/experts/openapi.json",
        "/api/v1/experts/docs",
    )
    assert experts.state.runtime.name == "experts"
    assert experts.state.database.schema == "experts"
    certificates = create_certificates(common)
    assert (certificates.title, certificates.openapi_url) == (
        "电子证书 (certificates)",
        "/api/v1/certificates/openapi.json",
    )
