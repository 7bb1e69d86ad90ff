"""Autoscalers, disruption budgets, network policies and the production overlay, read as Kubernetes would.

Pure: the YAML files only. The NetworkPolicies are evaluated with the Kubernetes semantics (a pod
selected by a policy of a direction accepts only what some such policy allows; a connection needs
the sender's egress and the receiver's ingress), over the pods that exist in a deployment, and
the result is compared with the connections Zhicheng needs, written out by hand.
``make deploy-check`` validates the same files against the Kubernetes and CRD schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from zhicheng_common.topology import ALL_SERVICES, DOMAIN_SERVICES, GATEWAY, ServiceInfo

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
PRODUCTION = ROOT / "deploy" / "production"
NAME = "app.kubernetes.io/name"


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]


@cache
def base_objects() -> tuple[dict[str, Any], ...]:
    return tuple(
        obj
        for path in sorted(KUBERNETES.rglob("*.yaml"))
        if path.name != "kustomization.yaml"
        for obj in documents(path)
    )


def base_object(kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in base_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


# --------------------------------------------------------------------------------------------
# autoscalers and budgets


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda s: s.name)
def test_every_service_scales_on_cpu_from_its_deployments_replicas(info: ServiceInfo) -> None:
    hpa = base_object("HorizontalPodAutoscaler", info.name)
    replicas = base_object("Deployment", info.name)["spec"]["replicas"]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": info.name}
    assert hpa["spec"]["minReplicas"] == replicas
    assert hpa["spec"]["maxReplicas"] > replicas
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


def test_the_autoscalers_maxima_fit_the_databases_connections() -> None:
    # 6 + 8 + 4 + 4 + 4 + 3 + 4 = 33 pods at most, 20 pooled connections each = 660.
    maxima = sum(base_object("HorizontalPodAutoscaler", info.name)["spec"]["maxReplicas"] for info in ALL_SERVICES)
    assert maxima == 33
    cluster = production_object("Cluster", "zhicheng-db")
    assert int(cluster["spec"]["postgresql"]["parameters"]["max_connections"]) >= 33 * 20


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda s: s.name)
def test_every_service_has_a_budget_that_lets_a_drain_finish(info: ServiceInfo) -> None:
    budget = base_object("PodDisruptionBudget", info.name)
    replicas = base_object("Deployment", info.name)["spec"]["replicas"]
    assert budget["spec"]["selector"]["matchLabels"][NAME] == info.name
    # Two or more pods: one stays up. One pod: it may go (minAvailable 1 would block every drain).
    expected = {"minAvailable": 1} if replicas >= 2 else {"maxUnavailable": 1}
    assert {k: v for k, v in budget["spec"].items() if k != "selector"} == expected


# --------------------------------------------------------------------------------------------
# network policies


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict[str, str] = field(hash=False)


ZHICHENG = "zhicheng"


def app_pod(info: ServiceInfo) -> Pod:
    labels = base_object("Deployment", info.name)["spec"]["template"]["metadata"]["labels"]
    return Pod(info.name, ZHICHENG, dict(labels))


PODS: dict[str, Pod] = {
    "ingress": Pod("ingress", "ingress-nginx", {NAME: "ingress-nginx"}),
    "stranger": Pod("stranger", "default", {NAME: "something-else"}),
    "dns": Pod("dns", "kube-system", {"k8s-app": "kube-dns"}),
    "postgres": Pod("postgres", ZHICHENG, {"cnpg.io/cluster": "zhicheng-db", "cnpg.io/instanceRole": "primary"}),
    "cnpg-operator": Pod("cnpg-operator", "cnpg-system", {NAME: "cloudnative-pg"}),
    # A pod of ours that is neither service nor tool (a debugging shell someone started).
    "shell": Pod("shell", ZHICHENG, {"run": "shell"}),
}


@cache
def pods() -> dict[str, Pod]:
    out = dict(PODS)
    for info in ALL_SERVICES:
        out[info.name] = app_pod(info)
    job = base_object("Job", "zhicheng-migrate")
    out["migrate"] = Pod("migrate", ZHICHENG, dict(job["spec"]["template"]["metadata"]["labels"]))
    nats = base_object("StatefulSet", "nats")
    out["nats"] = Pod("nats", ZHICHENG, dict(nats["spec"]["template"]["metadata"]["labels"]))
    return out


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        present = labels.get(expression["key"])
        if expression["operator"] == "In" and present not in expression["values"]:
            return False
        if expression["operator"] == "NotIn" and present in expression["values"]:
            return False
        if expression["operator"] == "Exists" and present is None:
            return False
    return True


def peer_matches(peer: dict[str, Any], pod: Pod, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        return False  # no pod address is listed by ipBlock in these policies
    if "namespaceSelector" in peer:
        namespace_labels = {"kubernetes.io/metadata.name": pod.namespace}
        if not selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return selects(peer.get("podSelector"), pod.labels)


def port_matches(rule: dict[str, Any], port: int) -> bool:
    ports = rule.get("ports")
    return not ports or any(p.get("port") in (None, port) for p in ports)


def policies() -> list[dict[str, Any]]:
    return [o for o in base_objects() if o["kind"] == "NetworkPolicy"]


def direction_allows(pod: Pod, direction: str, other: Pod, port: int) -> bool:
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [
        p
        for p in policies()
        if p["metadata"]["namespace"] == pod.namespace
        and direction in p["spec"]["policyTypes"]
        and selects(p["spec"]["podSelector"], pod.labels)
    ]
    if not selecting:
        return True  # no policy of this direction: open
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            if (not peers or any(peer_matches(peer, other, pod.namespace) for peer in peers)) and port_matches(
                rule, port
            ):
                return True
    return False


def allowed(source: str, target: str, port: int) -> bool:
    src, dst = pods()[source], pods()[target]
    egress = src.namespace != ZHICHENG or direction_allows(src, "Egress", dst, port)
    ingress = dst.namespace != ZHICHENG or direction_allows(dst, "Ingress", src, port)
    return egress and ingress


def needed_connections() -> set[tuple[str, str, int]]:
    """Every connection Zhicheng needs, by hand: nothing else may be allowed between these pods."""
    need = {("ingress", GATEWAY.name, GATEWAY.port)}
    for info in DOMAIN_SERVICES:
        need.add((GATEWAY.name, info.name, info.port))  # the reverse proxy
        need.add((info.name, GATEWAY.name, GATEWAY.port))  # JWKS (ZC_JWT_JWKS_URL)
    for info in ALL_SERVICES:
        need |= {(info.name, "postgres", 5432), (info.name, "nats", 4222)}
    need |= {
        ("migrate", "postgres", 5432),
        ("nats", "nats", 6222),  # cluster routes
        ("postgres", "postgres", 5432),  # streaming replication
        ("cnpg-operator", "postgres", 8000),  # the operator's status checks
    }
    for name in pods():
        if pods()[name].namespace == ZHICHENG:
            need.add((name, "dns", 53))
    return need


def ports_of_interest() -> list[int]:
    return sorted({info.port for info in ALL_SERVICES} | {5432, 4222, 6222, 8222, 53, 8000})


def test_exactly_the_needed_connections_are_allowed() -> None:
    everything = {
        (source, target, port)
        for source in pods()
        for target in pods()
        for port in ports_of_interest()
        if ZHICHENG in (pods()[source].namespace, pods()[target].namespace) and allowed(source, target, port)
    }
    # Between two pods outside the namespace our policies decide nothing; a connection with one
    # end outside is decided by the end inside (``allowed`` treats the outside end as open).
    assert everything == needed_connections(), {
        "allowed but not needed": sorted(everything - needed_connections()),
        "needed but refused": sorted(needed_connections() - everything),
    }


def test_only_the_gateway_is_reachable_from_outside_the_namespace() -> None:
    for outsider in ("ingress", "stranger"):
        reached = {
            target
            for target, pod in pods().items()
            if pod.namespace == ZHICHENG and any(allowed(outsider, target, port) for port in ports_of_interest())
        }
        assert reached == ({GATEWAY.name} if outsider == "ingress" else set())


def test_a_domain_service_cannot_call_another() -> None:
    assert not allowed("intake", "review", 8002)
    assert not allowed("review", "intake", 8001)
    assert not allowed("certificates", "committees", 8004)
    assert allowed("gateway", "review", 8002)


def test_a_pod_that_is_not_ours_to_trust_reaches_nothing_but_dns() -> None:
    assert not allowed("shell", "postgres", 5432)
    assert not allowed("shell", "nats", 4222)
    assert not allowed("shell", "gateway", 8000)
    assert allowed("shell", "dns", 53)


# --------------------------------------------------------------------------------------------
# the production overlay


@cache
def production_kustomization() -> dict[str, Any]:
    (document,) = documents(PRODUCTION / "kustomization.yaml")
    return document


@cache
def production_objects() -> tuple[dict[str, Any], ...]:
    out: list[dict[str, Any]] = []
    for resource in production_kustomization()["resources"]:
        path = PRODUCTION / resource
        if path.is_file():
            out += documents(path)
    return tuple(out)


def production_object(kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in production_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def deleted() -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for patch in production_kustomization()["patches"]:
        body = yaml.safe_load(patch["patch"])
        assert body["$patch"] == "delete"
        out.add((body["kind"], body["metadata"]["name"]))
    return out


def test_production_replaces_the_hand_written_nats_by_the_chart_and_keeps_its_users() -> None:
    nats = {(o["kind"], o["metadata"]["name"]) for o in base_objects() if o["metadata"]["name"].startswith("nats")}
    # The users (nats-auth) stay: the chart's servers include them (nats-values.yaml); so does the
    # NetworkPolicy, which selects the chart's pods by the same name label.
    kept = {("ConfigMap", "nats-auth"), ("NetworkPolicy", "nats")}
    assert {pair for pair in deleted() if pair[1].startswith("nats")} == nats - kept


def test_every_placeholder_secret_is_replaced_by_an_external_secret_with_the_same_keys() -> None:
    placeholders = {o["metadata"]["name"]: o for o in base_objects() if o["kind"] == "Secret"}
    assert {name for kind, name in deleted() if kind == "Secret"} == set(placeholders)
    for name, secret in placeholders.items():
        external = production_object("ExternalSecret", name)
        assert external["spec"]["target"]["name"] == name
        assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "province-vault"}
        if name.startswith("zhicheng-keys-"):
            # A ring is ring.json plus one <kid>.pem per key, whose ids the manifests cannot know:
            # the whole vault entry is extracted, so the private keys reach the pod with the ring.
            assert "data" not in external["spec"]
            assert external["spec"]["dataFrom"] == [
                {"extract": {"key": f"zhicheng/keys/{name[len('zhicheng-keys-') :]}"}}
            ]
        else:
            assert {item["secretKey"] for item in external["spec"]["data"]} == set(secret["stringData"])


def test_postgres_is_a_three_instance_cloudnativepg_cluster_with_archived_backups() -> None:
    cluster = production_object("Cluster", "zhicheng-db")
    assert cluster["spec"]["instances"] == 3
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["isWALArchiver"] is True
    store = production_object("ObjectStore", plugin["parameters"]["barmanObjectName"])
    assert store["spec"]["configuration"]["destinationPath"].startswith("s3://")
    credentials = store["spec"]["configuration"]["s3Credentials"]["accessKeyId"]["name"]
    assert production_object("ExternalSecret", credentials)
    backup = production_object("ScheduledBackup", "zhicheng-db-nightly")
    assert backup["spec"]["cluster"]["name"] == "zhicheng-db"
    assert backup["spec"]["method"] == "plugin"


def test_the_database_url_names_the_clusters_read_write_service() -> None:
    external = production_object("ExternalSecret", "zhicheng-secrets")
    assert "ZC_DATABASE_URL" in {item["secretKey"] for item in external["spec"]["data"]}
    placeholder = base_object("Secret", "zhicheng-secrets")["stringData"]["ZC_DATABASE_URL"]
    assert urlsplit(placeholder).hostname == "zhicheng-db-rw"  # CloudNativePG's `<cluster>-rw`
    for policy in ("zhicheng-to-postgres", "postgres"):
        assert "zhicheng-db" in yaml.safe_dump(base_object("NetworkPolicy", policy))


def test_the_nats_chart_values_run_three_synced_jetstream_servers_under_the_services_address() -> None:
    (values,) = documents(PRODUCTION / "nats-values.yaml")
    assert values["config"]["cluster"] == {"enabled": True, "replicas": 3}
    assert values["config"]["jetstream"]["merge"]["sync_interval"] == "always"
    config = base_object("ConfigMap", "zhicheng-config")["data"]
    assert urlsplit(config["ZC_NATS_URL"]).hostname == values["fullnameOverride"] == "nats"
    assert config["ZC_EVENTS_REPLICAS"] == "3"
    mounts = yaml.safe_dump(values["podTemplate"]["patch"])
    assert "nats-auth" in mounts
    assert values["config"]["merge"]["00$include"] == "auth/auth.conf"
