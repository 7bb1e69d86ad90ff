"""Helpers of the verification tests: the real certificates service as a subprocess behind the gateway,
certificates issued the way the system issues them (intake's and committees' events on JetStream),
and a status decision made by HR at the service."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from zhicheng_certificates.settings import MIGRATIONS_DIR as CERTIFICATES_MIGRATIONS_DIR
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import (
    ServiceProcess,
    TestKeys,
    jetstream,
    migrated,
    publish_event,
    resident_id,
    results_confirmed,
    run_sql,
    sealed_submission,
    service_process,
    wait_until,
)

SHANXI = "140000"
TAIYUAN = "140100"


CertificatesProcess = ServiceProcess


@pytest.fixture(scope="session")
def certificates_service(
    zc_settings: CommonSettings, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CertificatesProcess]:
    """The real certificates service as a subprocess on a free port, ready before use."""
    migrated(CERTIFICATES_MIGRATIONS_DIR, zc_settings)
    with service_process("certificates", zc_env, tmp_path_factory.mktemp("certificates")) as running:
        yield running


@pytest.fixture(scope="module")
async def js(zc_settings: CommonSettings) -> AsyncIterator[Any]:
    """A JetStream context of the test's own, to publish events the way their producers do."""
    async with jetstream(zc_settings) as js:
        yield js


@dataclass(frozen=True)
class Issued:
    number: str
    name: str
    resident_id: str
    token: str
    applicant_key: str


async def issue_certificate(js: Any, settings: CommonSettings, *, name: str) -> Issued:
    """One senior engineering certificate for ``name``: the declaration submitted, then the results confirmed."""
    cipher = PiiCipher(settings.pii_key)
    prefix = settings.events_prefix
    declaration_id = uuid.uuid4()
    number = resident_id()
    submitted = sealed_submission(cipher, declaration_id=declaration_id, name=name, gender="female", number=number)
    applicant_key = submitted["applicant_key"]
    await publish_event(
        js, prefix, "intake.declaration.submitted", submitted, subject=str(declaration_id), region=SHANXI, version=2
    )
    await wait_until(
        lambda: _scalar(settings, "SELECT 1 FROM certificates.holders WHERE declaration_id = :d", d=declaration_id),
        timeout=20,
        what="holder projected by certificates",
    )
    confirmed = results_confirmed([{"declaration_id": declaration_id, "applicant_key": applicant_key}])
    meeting_id = confirmed["meeting_id"]
    await publish_event(js, prefix, "committees.results.confirmed", confirmed, subject=meeting_id, region=SHANXI)
    row = await wait_until(
        lambda: _row(
            settings, "SELECT number, token FROM certificates.certificates WHERE declaration_id = :d", d=declaration_id
        ),
        timeout=20,
        what="certificate issued",
    )
    return Issued(number=row[0], name=name, resident_id=number, token=row[1], applicant_key=applicant_key)


async def _row(settings: CommonSettings, sql: str, **params: Any) -> tuple[Any, ...] | None:
    rows = await run_sql(settings, "certificates", sql, **params)
    return rows[0] if rows else None


async def _scalar(settings: CommonSettings, sql: str, **params: Any) -> Any:
    row = await _row(settings, sql, **params)
    return row[0] if row else None


async def revoke(service: CertificatesProcess, keys: TestKeys, number: str) -> None:
    """HR revokes the certificate at the certificates service (its event then reaches the gateway)."""
    headers = keys.headers(roles=["hr_admin"], region=SHANXI, subject="u-hr")
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
        response = await client.post(
            f"/api/v1/certificates/certificates/{number}/revocation",
            json={"reason_category": "falsification", "reason": "材料造假"},
            headers=headers,
        )
    assert response.status_code == 200, response.text


async def certificates_scalar(settings: CommonSettings, sql: str, **params: Any) -> Any:
    return await _scalar(settings, sql, **params)


def china_date_of_today() -> str:
    from datetime import UTC, datetime

    from zhicheng_common.clock import china_today

    return china_today(datetime.now(UTC)).isoformat()
