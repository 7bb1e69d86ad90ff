"""The deployment files (deploy/**, docker-compose.yml) parse and agree with the code.

Pure: no Docker, no cluster, no network. The code is the source of truth for which services
exist, their ports (``zhicheng_common.topology``) and the names of their settings
(pydantic-settings classes), so a new service, a changed port or a mistyped variable fails here.
"""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from zhicheng_common.keys import KeyRingError, load_ring
from zhicheng_common.settings import CommonSettings, ServiceSettings, refuse_placeholder
from zhicheng_common.topology import ALL_SERVICES, DOMAIN_SERVICES, GATEWAY, ServiceInfo

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
DOCKERFILE = DEPLOY / "Dockerfile"

YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml"), COMPOSE_FILE])
# Files whose ZC_* words must all be real names: manifests, scripts and the operator docs.
TEXT_FILES = sorted({*YAML_FILES, ENTRYPOINT, DOCKERFILE, *DEPLOY.rglob("*.md")})

ZC_WORD = re.compile(r"\bZC_[A-Z0-9_]*[A-Z0-9]\b")

# ZC_* words that are not settings, and why.
NOT_SETTINGS = {
    "ZC_SERVICE": "read by deploy/entrypoint.sh to choose the app",
    CommonSettings.model_construct().dead_letter_stream_name: "the dead-letter JetStream stream",
}

APP_LABEL = "app.kubernetes.io/name"


# --------------------------------------------------------------------------------------------
# what the code says


def service_settings_class(info: ServiceInfo) -> type[ServiceSettings]:
    module = importlib.import_module(f"{info.package}.settings")
    classes = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, ServiceSettings) and cls is not ServiceSettings and cls.__module__ == module.__name__
    ]
    assert len(classes) == 1, f"{module.__name__} should define one ServiceSettings subclass, found {classes}"
    return classes[0]


def env_prefix(cls: type[Any]) -> str:
    return str(cls.model_config.get("env_prefix", ""))


@cache
def setting_names() -> frozenset[str]:
    """Every environment variable some Zhicheng settings class reads."""
    names = {f"{env_prefix(CommonSettings)}{field}".upper() for field in CommonSettings.model_fields}
    for info in ALL_SERVICES:
        cls = service_settings_class(info)
        names |= {f"{env_prefix(cls)}{field}".upper() for field in cls.model_fields}
    return frozenset(names)


# --------------------------------------------------------------------------------------------
# what the files say


def load_all(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as stream:
        return [document for document in yaml.safe_load_all(stream) if document is not None]


@cache
def compose() -> dict[str, Any]:
    (document,) = load_all(COMPOSE_FILE)
    assert isinstance(document, dict)
    return document


def compose_service(name: str) -> dict[str, Any]:
    services: dict[str, Any] = compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return dict(services[name])


def compose_env(name: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in (compose_service(name).get("environment") or {}).items()}


@cache
def kubernetes_objects() -> tuple[dict[str, Any], ...]:
    objects: list[dict[str, Any]] = []
    for path in sorted(KUBERNETES.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        objects += [document for document in load_all(path) if isinstance(document, dict)]
    return tuple(objects)


def kubernetes_object(kind: str, name: str) -> dict[str, Any]:
    found = [o for o in kubernetes_objects() if o.get("kind") == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name!r} in deploy/kubernetes, found {len(found)}"
    return found[0]


def only_container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return dict(container)


def container_env(container: dict[str, Any]) -> dict[str, str | None]:
    return {item["name"]: item.get("value") for item in container.get("env", [])}


def kustomized_files(directory: Path) -> set[Path]:
    """The files a kustomization lists, following the directories it includes."""
    (kustomization,) = load_all(directory / "kustomization.yaml")
    files: set[Path] = set()
    for resource in kustomization["resources"]:
        path = (directory / resource).resolve()
        assert path.exists(), f"{directory / 'kustomization.yaml'} lists a missing resource {resource!r}"
        files |= kustomized_files(path) if path.is_dir() else {path}
    return files


def named_env_vars() -> set[str]:
    """The ZC_* names the manifests set: compose environments, container env, ConfigMap/Secret keys."""
    names: set[str] = set()
    for key, value in compose().items():
        if key.startswith("x-") and key.endswith("-env"):
            names |= set(value)
    for service in compose()["services"].values():
        names |= {str(k) for k in service.get("environment") or {}}
    for obj in kubernetes_objects():
        if obj.get("kind") in ("ConfigMap", "Secret"):
            names |= {*(obj.get("data") or {}), *(obj.get("stringData") or {})}
        template = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in template.get("containers", []):
            names |= set(container_env(container))
    return {name for name in names if name.startswith("ZC_")}


# --------------------------------------------------------------------------------------------
# the files parse


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_under_deploy_and_the_compose_file_parses(path: Path) -> None:
    assert load_all(path), f"{path} holds no document"


def test_every_kubernetes_manifest_is_listed_in_a_kustomization() -> None:
    manifests = {p.resolve() for p in KUBERNETES.rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert kustomized_files(KUBERNETES) == manifests


def test_every_kubernetes_object_has_a_kind_a_name_and_the_zhicheng_namespace() -> None:
    for obj in kubernetes_objects():
        assert obj.get("apiVersion"), obj
        assert obj.get("kind"), obj
        assert obj["metadata"].get("name"), obj
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == "zhicheng", obj["metadata"]


# --------------------------------------------------------------------------------------------
# the services and their ports


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda s: s.name)
def test_every_service_has_a_kubernetes_deployment_on_its_topology_port(info: ServiceInfo) -> None:
    deployment = kubernetes_object("Deployment", info.name)
    container = only_container(deployment)
    assert container["ports"] == [{"name": "http", "containerPort": info.port, "protocol": "TCP"}]
    env = container_env(container)
    assert env["ZC_SERVICE"] == info.name
    assert env["PORT"] == str(info.port)
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(info.port)
    assert annotations["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda s: s.name)
def test_every_deployment_is_ready_on_readyz_and_alive_on_healthz(info: ServiceInfo) -> None:
    container = only_container(kubernetes_object("Deployment", info.name))
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["resources"]["requests"]["cpu"]
    assert container["resources"]["limits"]["memory"]


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda s: s.name)
def test_every_service_has_a_kubernetes_service_selecting_its_pods_on_its_port(info: ServiceInfo) -> None:
    service = kubernetes_object("Service", info.name)
    deployment = kubernetes_object("Deployment", info.name)
    assert service["spec"]["ports"] == [{"name": "http", "port": info.port, "targetPort": "http", "protocol": "TCP"}]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"][APP_LABEL] == info.name


def test_gateway_and_intake_run_two_replicas_and_the_other_services_one() -> None:
    replicas = {info.name: kubernetes_object("Deployment", info.name)["spec"]["replicas"] for info in ALL_SERVICES}
    assert replicas == {info.name: 2 if info.name in ("gateway", "intake") else 1 for info in ALL_SERVICES}


def test_the_gateway_keeps_one_pod_through_voluntary_disruptions() -> None:
    budget = kubernetes_object("PodDisruptionBudget", "gateway")
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"][APP_LABEL] == GATEWAY.name


def test_the_migrate_job_runs_the_migrate_command_with_the_shared_configuration() -> None:
    job = kubernetes_object("Job", "zhicheng-migrate")
    container = only_container(job)
    assert container["args"] == ["migrate"]
    assert {"configMapRef": {"name": "zhicheng-config"}} in container["envFrom"]
    assert {"secretRef": {"name": "zhicheng-secrets"}} in container["envFrom"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_only_the_services_their_budgets_and_autoscalers_wait_for_the_migrations_by_label() -> None:
    # deploy/README.md applies `component!=api` first (config, NATS, the Job), then the rest.
    labelled_api = {
        (obj["kind"], obj["metadata"]["name"])
        for obj in kubernetes_objects()
        if obj["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "api"
    }
    kinds = ("Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler")
    assert labelled_api == {(kind, info.name) for info in ALL_SERVICES for kind in kinds}


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda s: s.name)
def test_every_service_has_a_compose_service_after_the_migrations(info: ServiceInfo) -> None:
    service = compose_service(info.name)
    assert compose_env(info.name)["ZC_SERVICE"] == info.name
    assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "/readyz" in service["healthcheck"]["test"]


@pytest.mark.parametrize("info", DOMAIN_SERVICES, ids=lambda s: s.name)
def test_compose_domain_services_expose_their_topology_port_unpublished(info: ServiceInfo) -> None:
    service = compose_service(info.name)
    assert service["expose"] == [str(info.port)]
    assert "ports" not in service


def test_compose_publishes_only_the_gateway_on_its_topology_port() -> None:
    assert compose_service(GATEWAY.name)["ports"] == [f"{GATEWAY.port}:{GATEWAY.port}"]
    published = [name for name, service in compose()["services"].items() if "ports" in service]
    assert published == [GATEWAY.name]


def test_compose_migrates_once_after_postgres_is_healthy() -> None:
    migrate = compose_service("migrate")
    assert migrate["command"] == ["migrate"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"


def test_compose_runs_postgres_15_and_nats_210_with_jetstream_file_storage() -> None:
    assert compose_service("postgres")["image"] == "postgres:15"
    assert compose_service("postgres")["environment"]["POSTGRES_DB"] == "zhicheng"
    nats = compose_service("nats")
    assert nats["image"].startswith("nats:2.10")
    # JetStream, its store on the volume and the users: deploy/nats/compose.conf (tests/deploy/test_nats_config.py).
    assert nats["command"] == ["--config", "/etc/nats/nats.conf"]
    assert "nats-data:/data" in nats["volumes"]


def test_compose_runs_in_development_and_points_services_at_the_gateway_jwks() -> None:
    for info in ALL_SERVICES:
        env = compose_env(info.name)
        assert env["ZC_ENVIRONMENT"] == "development"
        assert env["ZC_JWT_JWKS_URL"] == f"http://{GATEWAY.name}:{GATEWAY.port}/api/v1/auth/jwks"
        assert env["ZC_NATS_URL"] == "nats://nats:4222"
        assert "@postgres:5432/zhicheng" in env["ZC_DATABASE_URL"]


def test_compose_makes_the_key_rings_once_in_a_volume_every_service_mounts_read_only() -> None:
    keys_dir = compose()["x-zhicheng-env"]["ZC_KEYS_DIR"]
    step = compose_service("key-rings")
    assert step["command"][:4] == ["zhicheng", "keys", "init", "--all"]
    assert "key-rings" in compose()["volumes"]
    for info in ALL_SERVICES:
        service = compose_service(info.name)
        assert f"key-rings:{keys_dir}:ro" in service["volumes"]
        assert service["depends_on"]["key-rings"]["condition"] == "service_completed_successfully"


# --------------------------------------------------------------------------------------------
# the gateway reaches every domain service


def expected_upstreams() -> dict[str, str]:
    return {f"ZC_GATEWAY_{info.name.upper()}_URL": f"http://{info.name}:{info.port}" for info in DOMAIN_SERVICES}


def test_compose_gateway_upstreams_are_the_compose_service_names_and_ports() -> None:
    env = compose_env(GATEWAY.name)
    assert {name: env.get(name) for name in expected_upstreams()} == expected_upstreams()


def test_kubernetes_gateway_upstreams_are_the_service_names_and_ports() -> None:
    env = container_env(only_container(kubernetes_object("Deployment", GATEWAY.name)))
    assert {name: env.get(name) for name in expected_upstreams()} == expected_upstreams()


def test_every_upstream_variable_is_a_gateway_setting() -> None:
    assert set(expected_upstreams()) <= setting_names()


# --------------------------------------------------------------------------------------------
# every ZC_* name is a real setting


def test_every_zc_variable_the_manifests_set_is_a_setting() -> None:
    unknown = named_env_vars() - setting_names() - set(NOT_SETTINGS)
    assert not unknown, f"not a setting of any Zhicheng settings class (typo?): {sorted(unknown)}"


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_zc_word_in_the_deployment_files_and_docs_is_a_setting(path: Path) -> None:
    words = set(ZC_WORD.findall(path.read_text(encoding="utf-8")))
    unknown = words - setting_names() - set(NOT_SETTINGS)
    assert not unknown, f"{path.relative_to(ROOT)} names unknown variables: {sorted(unknown)}"


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda s: s.name)
def test_every_service_settings_class_reads_its_own_prefix(info: ServiceInfo) -> None:
    assert env_prefix(service_settings_class(info)) == f"ZC_{info.name.upper()}_"


# --------------------------------------------------------------------------------------------
# secrets and production


def test_kubernetes_config_runs_in_production_with_three_event_replicas() -> None:
    config = kubernetes_object("ConfigMap", "zhicheng-config")["data"]
    assert config["ZC_ENVIRONMENT"] == "production"
    assert config["ZC_EVENTS_REPLICAS"] == "3"
    assert config["ZC_JWT_JWKS_URL"] == f"http://{GATEWAY.name}:{GATEWAY.port}/api/v1/auth/jwks"


def test_the_placeholder_pii_key_is_refused_in_production() -> None:
    placeholder = kubernetes_object("Secret", "zhicheng-secrets")["stringData"]["ZC_PII_KEY"]
    with pytest.raises(ValidationError, match="ZC_PII_KEY"):
        CommonSettings(environment="production", pii_key=placeholder)


def test_the_placeholder_admin_password_is_refused_outside_development() -> None:
    gateway_secrets = kubernetes_object("Secret", "zhicheng-gateway-secrets")["stringData"]
    placeholder = gateway_secrets["ZC_GATEWAY_ADMIN_PASSWORD"]
    with pytest.raises(ValueError, match="placeholder"):
        refuse_placeholder("ZC_GATEWAY_ADMIN_PASSWORD", placeholder)


def test_the_placeholder_key_rings_are_no_rings_so_no_service_can_start_on_them(tmp_path: Path) -> None:
    placeholder = kubernetes_object("Secret", "zhicheng-keys-jwt")["stringData"]["ring.json"]
    (tmp_path / "ring.json").write_text(placeholder)
    with pytest.raises(KeyRingError, match="unreadable"):
        load_ring(tmp_path)


def test_secrets_are_not_in_the_configmap() -> None:
    config = kubernetes_object("ConfigMap", "zhicheng-config")["data"]
    for secret in ("ZC_DATABASE_URL", "ZC_PII_KEY", "ZC_GATEWAY_ADMIN_PASSWORD", "ZC_JWT_JWKS"):
        assert secret not in config


def rings_of(info: ServiceInfo) -> set[str]:
    rings = {f"journal-{info.name}"}
    if info.name == "review":
        rings.add("review-decisions")
    if info.name == "committees":
        rings.add("committees-tallies")
    if info.name == "certificates":
        rings |= {"certificates-ed25519", "certificates-sm2"}
    if info is GATEWAY:
        rings |= {"jwt", "feed-pages"}
    return rings


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda i: i.name)
def test_every_service_reads_its_key_rings_from_read_only_secrets_and_no_key_lives_in_an_empty_dir(
    info: ServiceInfo,
) -> None:
    keys_dir = Path(kubernetes_object("ConfigMap", "zhicheng-config")["data"]["ZC_KEYS_DIR"])
    deployment = kubernetes_object("Deployment", info.name)
    container = only_container(deployment)
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounted = set()
    for mount in container["volumeMounts"]:
        path = Path(mount["mountPath"])
        if path.parent != keys_dir:
            continue
        assert mount["readOnly"] is True
        assert volumes[mount["name"]]["secret"]["secretName"] == f"zhicheng-keys-{path.name}"
        assert kubernetes_object("Secret", f"zhicheng-keys-{path.name}")
        mounted.add(path.name)
    assert mounted == rings_of(info)


# --------------------------------------------------------------------------------------------
# NATS cluster


def test_nats_runs_three_jetstream_servers_routed_through_the_headless_service() -> None:
    statefulset = kubernetes_object("StatefulSet", "nats")
    headless = kubernetes_object("Service", statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    replicas = statefulset["spec"]["replicas"]
    assert replicas == 3
    conf = kubernetes_object("ConfigMap", "nats-config")["data"]["nats.conf"]
    assert "jetstream {" in conf
    assert "store_dir: /data" in conf
    for ordinal in range(replicas):
        assert f"nats://nats-{ordinal}.{headless['metadata']['name']}:6222" in conf
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"


def test_event_replicas_match_the_nats_cluster_size() -> None:
    config = kubernetes_object("ConfigMap", "zhicheng-config")["data"]
    assert int(config["ZC_EVENTS_REPLICAS"]) == kubernetes_object("StatefulSet", "nats")["spec"]["replicas"]


def test_services_reach_nats_through_its_client_service() -> None:
    config = kubernetes_object("ConfigMap", "zhicheng-config")["data"]
    service = kubernetes_object("Service", "nats")
    assert config["ZC_NATS_URL"] == f"nats://nats:{service['spec']['ports'][0]['port']}"


# --------------------------------------------------------------------------------------------
# the image


def test_the_entrypoint_knows_exactly_the_topology_services() -> None:
    text = ENTRYPOINT.read_text(encoding="utf-8")
    (listed,) = re.findall(r'^SERVICES="([^"]+)"', text, flags=re.MULTILINE)
    assert listed.split() == [info.name for info in ALL_SERVICES]
    (case_arm,) = re.findall(r"^\s*(intake\s*\|[^)]*)\)", text, flags=re.MULTILINE)
    assert [name.strip() for name in case_arm.split("|")] == [info.name for info in ALL_SERVICES]


def test_the_entrypoint_serves_the_app_factory_with_uvloop_and_migrates_with_the_cli() -> None:
    text = ENTRYPOINT.read_text(encoding="utf-8")
    assert '-m uvicorn "zhicheng_${ZC_SERVICE}.app:create_app" --factory' in text
    assert "--loop uvloop" in text
    assert "zhicheng migrate" in text
    assert all(info.app_factory == f"zhicheng_{info.name}.app:create_app" for info in ALL_SERVICES)


def test_the_image_uses_python_311_slim_and_the_makefiles_uv_version() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    (make_uv,) = re.findall(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    assert f"ARG UV_VERSION={make_uv}" in dockerfile
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert re.search(r"^USER 10001", dockerfile, flags=re.MULTILINE)
    assert 'ENTRYPOINT ["/usr/local/bin/zhicheng-entrypoint"]' in dockerfile


def test_the_image_copies_every_workspace_members_pyproject_for_the_dependency_layer() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    members = sorted(p.parent.relative_to(ROOT) for pattern in patterns for p in ROOT.glob(f"{pattern}/pyproject.toml"))
    assert members, "no workspace members found"
    for member in members:
        assert f"COPY {member}/pyproject.toml {member}/" in dockerfile
