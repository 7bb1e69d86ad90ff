"""The NATS configurations we ship (issue 10 §2, §3): each sets the sync policy explicitly, names
the users the code derives, and parses with the wheel's nats-server (``nats-server -t``).

No server runs here: ``-t`` only reads the configuration, as the server would at start.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from zhicheng_common.embedded import SYNC_INTERVAL, nats_server_binary
from zhicheng_common.events.natsauth import render, stack_authorization
from zhicheng_common.events.permissions import SubjectSpace
from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import ALL_SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_CONF = ROOT / "deploy" / "nats" / "compose.conf"
NATS_KUBERNETES = ROOT / "deploy" / "kubernetes" / "nats"
SERVICES_KUBERNETES = ROOT / "deploy" / "kubernetes" / "services"


def kubernetes_conf() -> str:
    (configmap,) = yaml.safe_load_all((NATS_KUBERNETES / "configmap.yaml").read_text())
    return str(configmap["data"]["nats.conf"])


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def check(conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(nats_server_binary()), "-t", "-c", str(conf)],
        capture_output=True,
        text=True,
        env={**os.environ, "POD_NAME": "nats-0"},
        timeout=30,
    )


def generated_auth(keys: Path) -> str:
    return render(stack_authorization(keys, SubjectSpace.of(CommonSettings(events_prefix="zc"))))


@pytest.mark.parametrize("name", ["compose", "kubernetes", "embedded"])
def test_every_nats_configuration_we_ship_syncs_every_write_and_says_why(name: str) -> None:
    if name == "embedded":
        assert SYNC_INTERVAL == "always"
        source = (ROOT / "libs/common/src/zhicheng_common/embedded.py").read_text()
        assert re.search(r"(#.*\n)+SYNC_INTERVAL = \"always\"", source)  # a comment says why
        return
    text = COMPOSE_CONF.read_text() if name == "compose" else kubernetes_conf()
    (setting,) = re.findall(r"^\s*sync_interval: (\S+)$", text, flags=re.MULTILINE)
    assert setting == "always"
    before = text.split("sync_interval:")[0].rstrip().splitlines()
    assert before[-1].strip().startswith("#"), "the sync policy needs its reason right above it"


def test_the_compose_configuration_with_the_generated_users_is_valid(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "nats.conf").write_text(COMPOSE_CONF.read_text())
    (tmp_path / "keys" / "auth.conf").write_text(generated_auth(tmp_path / "seeds"))
    result = check(tmp_path / "nats.conf")
    assert result.returncode == 0, result.stderr


def test_the_kubernetes_configuration_is_valid_with_the_users_and_refused_with_the_placeholder(tmp_path: Path) -> None:
    (tmp_path / "auth").mkdir()
    (tmp_path / "nats.conf").write_text(kubernetes_conf())
    (configmap,) = yaml.safe_load_all((NATS_KUBERNETES / "auth.yaml").read_text())
    (tmp_path / "auth" / "auth.conf").write_text(configmap["data"]["auth.conf"])
    refused = check(tmp_path / "nats.conf")
    assert refused.returncode != 0, "the placeholder must keep NATS from starting without users"
    (tmp_path / "auth" / "auth.conf").write_text(generated_auth(tmp_path / "seeds"))
    result = check(tmp_path / "nats.conf")
    assert result.returncode == 0, result.stderr


def test_the_nats_statefulset_mounts_the_users_where_the_configuration_includes_them() -> None:
    (statefulset,) = yaml.safe_load_all((NATS_KUBERNETES / "statefulset.yaml").read_text())
    spec = statefulset["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v.get("configMap", {}).get("name") for v in spec["volumes"]}
    assert volumes["auth"] == "nats-auth"
    assert f'include "{Path(mounts["auth"]).relative_to(mounts["config"])}/auth.conf"' in kubernetes_conf()


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda i: i.name)
def test_every_kubernetes_service_reads_its_own_nkey_and_no_other(info: Any) -> None:
    (deployment, _service) = yaml.safe_load_all((SERVICES_KUBERNETES / f"{info.name}.yaml").read_text())
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    (seed,) = [e for e in env if e["name"] == "ZC_NATS_NKEY_SEED"]
    assert seed["valueFrom"]["secretKeyRef"] == {"name": "zhicheng-nats-keys", "key": f"{info.name}.nk"}
    secrets = [d for d in yaml.safe_load_all((ROOT / "deploy/kubernetes/secret.yaml").read_text()) if d]
    (keys,) = [d for d in secrets if d["metadata"]["name"] == "zhicheng-nats-keys"]
    assert sorted(keys["stringData"]) == sorted(f"{s.name}.nk" for s in ALL_SERVICES)  # no operator key


def test_the_placeholder_nkey_seed_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="ZC_NATS_NKEY_SEED"):
        CommonSettings(environment="production", pii_key="a-real-key-0123456789", nats_nkey_seed="changeme")


@pytest.mark.parametrize("info", ALL_SERVICES, ids=lambda i: i.name)
def test_every_compose_service_finds_its_key_in_the_keys_volume(info: Any) -> None:
    service = compose()["services"][info.name]
    keys_dir = service["environment"]["ZC_NATS_KEYS_DIR"]
    assert f"nats-keys:{keys_dir}:ro" in service["volumes"]


def test_compose_writes_the_users_before_nats_starts_and_nats_reads_them() -> None:
    services = compose()["services"]
    auth = services["nats-auth"]
    assert auth["command"][:3] == ["zhicheng", "nats", "config"]
    assert "nats-keys:/data/keys" in auth["volumes"]
    written = Path(auth["command"][auth["command"].index("--output") + 1])
    nats = services["nats"]
    assert nats["depends_on"] == {"nats-auth": {"condition": "service_completed_successfully"}}
    assert "nats-keys:/etc/nats/keys:ro" in nats["volumes"]
    assert "./deploy/nats/compose.conf:/etc/nats/nats.conf:ro" in nats["volumes"]
    assert f'include "keys/{written.name}"' in COMPOSE_CONF.read_text()
