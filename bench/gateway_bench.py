"""Gateway pass-through vs direct service requests per second.

Starts the intake service and the gateway as uvicorn processes (uvloop, one worker each) on the
stack, then drives the same authenticated request — ``GET /api/v1/declarations/journal?limit=1``,
a token check and one indexed query — at a fixed concurrency, first straight at the service,
then through the gateway. The load generator is a separate process on the same two cores.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.stack import BenchStack, percentile, wait_ready
from zhicheng_common.auth import Principal, TokenIssuer, key_id
from zhicheng_common.embedded import free_port
from zhicheng_common.keys import EMBEDDED_NOT_BEFORE, JWT, init_ring
from zhicheng_common.migrations import upgrade


@dataclass
class HttpResult:
    target: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def load(url: str, headers: dict[str, str], *, concurrency: int, seconds: float) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                response = await client.get(url, headers=headers)
                if response.status_code != 200:
                    errors += 1
                latencies.append((time.perf_counter() - began) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), latencies, errors


def _load_in_subprocess(url: str, headers: dict[str, str], concurrency: int, seconds: float) -> HttpResult:
    code = (
        "import asyncio, json, sys; from bench.gateway_bench import load; "
        "n, lat, err = asyncio.run(load(sys.argv[1], json.loads(sys.argv[2]), "
        "concurrency=int(sys.argv[3]), seconds=float(sys.argv[4]))); "
        "print(json.dumps({'n': n, 'lat': lat, 'err': err}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url, json.dumps(headers), str(concurrency), str(seconds)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return HttpResult(url, data["n"], seconds, percentile(data["lat"], 0.5), percentile(data["lat"], 0.99), data["err"])


def run_gateway_bench(stack: BenchStack, *, concurrency: int = 32, seconds: float = 10.0) -> list[HttpResult]:
    from zhicheng_gateway.settings import MIGRATIONS_DIR as GATEWAY
    from zhicheng_intake.settings import MIGRATIONS_DIR as INTAKE

    upgrade(INTAKE, stack.database_url)
    upgrade(GATEWAY, stack.database_url)
    key = Ed25519PrivateKey.generate()
    issuer = TokenIssuer(key, issuer="zhicheng", audience="zhicheng", kid=key_id(key))
    token = issuer.issue(Principal(subject="bench", roles=frozenset({"auditor"}), region="140000"), ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    intake_port, gateway_port = free_port(), free_port()
    with TemporaryDirectory(prefix="zc-bench-keys-") as tmp:
        # The gateway signs with the `jwt` key ring holding the bench issuer's key (docs/keys.md).
        init_ring(Path(tmp) / "keys" / JWT, JWT, not_before=EMBEDDED_NOT_BEFORE, private_key=key)
        env = {
            **os.environ,
            "ZC_DATABASE_URL": stack.database_url,
            "ZC_NATS_URL": stack.nats_url,
            "ZC_EVENTS_PREFIX": stack.prefix,
            "ZC_JWT_JWKS": json.dumps(issuer.jwks()),
            "ZC_LOG_LEVEL": "WARNING",
            "ZC_KEYS_DIR": str(Path(tmp) / "keys"),
            "ZC_GATEWAY_ADMIN_PASSWORD": "bench-admin-password",
            "ZC_GATEWAY_INTAKE_URL": f"http://127.0.0.1:{intake_port}",
        }
        processes = [
            subprocess.Popen(
                [
                    sys.executable, "-m", "uvicorn", f"zhicheng_{name}.app:create_app", "--factory",
                    "--port", str(port), "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
                ],
                env=env,
            )
            for name, port in (("intake", intake_port), ("gateway", gateway_port))
        ]  # fmt: skip
        try:
            wait_ready(f"http://127.0.0.1:{intake_port}/readyz")
            wait_ready(f"http://127.0.0.1:{gateway_port}/readyz")
            path = "/api/v1/declarations/journal?limit=1"
            direct_url = f"http://127.0.0.1:{intake_port}{path}"
            gateway_url = f"http://127.0.0.1:{gateway_port}{path}"
            for url in (direct_url, gateway_url):  # warm-up: pools, JWKS, caches
                _load_in_subprocess(url, headers, concurrency, 2.0)
            return [
                _load_in_subprocess(direct_url, headers, concurrency, seconds),
                _load_in_subprocess(gateway_url, headers, concurrency, seconds),
            ]
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(15)
