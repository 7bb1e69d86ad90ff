"""Personal data in logs and streams (issue 12), over a whole run of the system.

A person is entered in the integrity archive, reads and appeals their record, another declares
and is taken into review, with every service logging at DEBUG. Then the logs of every service
are searched for the ID numbers, names and free text used, and every event of the run's stream
for the ID numbers, names and free text: people travel in events as keyed hashes, and a name or
text a consumer must show travels sealed with the PII key (docs/event-contracts.md). Last, every
table of the database is read raw: no ID number is stored in clear anywhere (DESIGN §6: encrypted,
with a keyed hash for lookup).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.intake.tests.builders import declaration_body, resident_id
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestStack, wait_until
from zhicheng_common.validators import resident_id_problem

from .committees_api import open_senior_engineering_committee
from .conftest import GATEWAY_URL, RunningSystem, delete_streams, isolated_env, start_system, stop_system

pytestmark = pytest.mark.integration

TAIYUAN = "140100"
PASSWORD = "Personal-data-2026!"
STAFF_NAME = "太原市人社局 司马青云"
SUBJECT_NAME = "欧阳明月"
DECLARANT_NAME = "张三丰测试"
REVIEWER_NAME = "审核员端木测试"
FACTS = "申报材料中的获奖证书编号与颁发机构存档不符"
GROUNDS = "获奖证书真实有效，附颁发机构出具的核查函"
ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dX](?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def pii_system(
    zc_stack: TestStack, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    env = isolated_env(zc_stack, zc_env, "pii")
    env["ZC_LOG_LEVEL"] = "DEBUG"
    running = start_system(env, Path(tmp_path_factory.mktemp("pii-system")) / "data")
    try:
        yield running
    finally:
        stop_system(running.process)
        delete_streams(env)


def login(username: str) -> dict[str, str]:
    response = httpx.post(f"{GATEWAY_URL}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def account(system: RunningSystem, admin: dict[str, str], roles: list[str], name: str) -> tuple[str, dict[str, str]]:
    username = f"pii-{uuid.uuid4().hex[:8]}"
    user = system.create_user(admin, username=username, password=PASSWORD, roles=roles, region=TAIYUAN, name=name)
    return str(user["id"]), login(username)


def valid_id_numbers(text: str) -> set[str]:
    return {m for m in ID_PATTERN.findall(text) if resident_id_problem(m) is None}


async def stream_events(nats_js: Any, prefix: str) -> list[dict[str, Any]]:
    subscription = await nats_js.pull_subscribe(
        f"{prefix}.>", stream=prefix.upper(), config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    out: list[dict[str, Any]] = []
    while True:
        try:
            batch = await subscription.fetch(100, timeout=2)
        except (NatsTimeout, TimeoutError):
            return out
        for message in batch:
            out.append(json.loads(message.data))
            await message.ack()


async def test_personal_data_no_id_number_name_or_free_text_in_any_log_line_and_only_keyed_hashes_in_events(
    pii_system: RunningSystem, nats_js: Any
) -> None:
    admin = pii_system.admin_headers()
    _, hr = account(pii_system, admin, ["hr_admin"], STAFF_NAME)
    subject_number = resident_id(date(1979, 4, 2), int(uuid.uuid4().int % 1000))
    subject_id, subject = account(pii_system, admin, ["applicant"], SUBJECT_NAME)
    bound = httpx.put(
        f"{GATEWAY_URL}/api/v1/users/{subject_id}/bindings",
        json={"id_number": subject_number, "reason": "本人持身份证到窗口核验"},
        headers=admin,
    )
    assert bound.status_code == 200, bound.text
    subject = login(str(bound.json()["username"]))

    records = f"{GATEWAY_URL}/api/v1/integrity/records"
    body = {
        "subject_kind": "person",
        "subject_id_number": subject_number,
        "subject_name": SUBJECT_NAME,
        "kind": "falsified_materials",
        "facts": FACTS,
        "evidence": [],
        "deciding_authority": "太原市人力资源和社会保障局",
        "decision_date": "2026-11-20",
        "effects": {"bar_declaring": True, "bar_expert_draws": False},
    }
    record = httpx.post(records, json=body, headers=hr)
    assert record.status_code == 201, record.text
    mine = httpx.post(
        f"{GATEWAY_URL}/api/v1/integrity/my-records", json={"subject_id_number": subject_number}, headers=subject
    )
    assert [r["id"] for r in mine.json()] == [record.json()["id"]]
    appeal = httpx.post(f"{records}/{record.json()['id']}/appeals", json={"grounds": GROUNDS}, headers=subject)
    assert appeal.status_code == 201, appeal.text

    # Another person declares and is taken into review.
    committee_id, year = open_senior_engineering_committee(pii_system, admin)
    _, declarant = account(pii_system, admin, ["applicant"], DECLARANT_NAME)
    _, reviewer = account(pii_system, admin, ["hr_reviewer"], REVIEWER_NAME)
    birth = date(1984, 3, 9)
    declaration = declaration_body()
    declaration["applicant"].update(
        name=DECLARANT_NAME, birth_date=birth.isoformat(), id_number=resident_id(birth, int(uuid.uuid4().int % 1000))
    )
    declarant_number = declaration["applicant"]["id_number"]
    declaration["target"].update(year=year, committee_id=committee_id)
    declaration["assessments"] = [{"year": y, "grade": "qualified"} for y in range(year - 6, year)]
    declaration["continuing_education"] = []
    async with httpx.AsyncClient(base_url=GATEWAY_URL, timeout=10.0) as client:

        async def window_open() -> bool:
            items = (await client.get("/api/v1/declarations/windows", headers=declarant)).json()["items"]
            return any(i["committee_id"] == committee_id and i["windows"] for i in items)

        await wait_until(window_open, timeout=15, what="the committee's window in intake")
        created = await client.post("/api/v1/declarations", json=declaration, headers=declarant)
        assert created.status_code == 201, created.text
        declaration_id = created.json()["id"]
        submitted = await client.post(f"/api/v1/declarations/{declaration_id}/submit", headers=declarant)
        assert submitted.status_code == 200, submitted.text

        async def in_review() -> bool:
            response = await client.get(f"/api/v1/reviews/declarations/{declaration_id}", headers=reviewer)
            return response.status_code == 200

        await wait_until(in_review, timeout=20, what="the declaration in review")
        shown = await client.get(f"/api/v1/reviews/declarations/{declaration_id}", headers=reviewer)
        shown_name = shown.json()["applicant_name"]

    events = await stream_events(nats_js, pii_system.env["ZC_EVENTS_PREFIX"])
    pii_system.stop()  # every line written and flushed

    logs = [pii_system.output, *sorted((pii_system.data_dir / "logs").glob("*.log"))]
    text = "\n".join(path.read_text(errors="replace") for path in logs)
    assert "integrity.appeal.filed" in text  # the lines are there, at DEBUG
    personal_data = (
        subject_number,
        declarant_number,
        SUBJECT_NAME,
        DECLARANT_NAME,
        STAFF_NAME,
        REVIEWER_NAME,
        FACTS,
        GROUNDS,
    )
    for personal in personal_data:
        assert personal not in text, personal
    assert valid_id_numbers(text) == set()

    # Events: the run's facts are there, and a person is a keyed hash, never the number.
    types = {e["type"] for e in events}
    assert {"cn.zhicheng.integrity.record.decided.v1", "cn.zhicheng.intake.declaration.submitted.v3"} <= types
    payloads = json.dumps([e["data"] for e in events], ensure_ascii=False)
    assert valid_id_numbers(payloads) == set()
    for personal in personal_data:  # no ID number, name or free text of a person in any payload
        assert personal not in payloads, personal
    cipher = PiiCipher(pii_system.env.get("ZC_PII_KEY", CommonSettings.model_fields["pii_key"].default))
    decided = next(e for e in events if e["type"] == "cn.zhicheng.integrity.record.decided.v1")
    assert decided["data"]["subject_key"] == cipher.keyed_hash(subject_number)
    submitted_event = next(e for e in events if e["type"] == "cn.zhicheng.intake.declaration.submitted.v3")
    assert submitted_event["data"]["applicant_key"] == cipher.keyed_hash(declarant_number)
    # Review shows its clerks the name it opened from the sealed field.
    assert cipher.decrypt(submitted_event["data"]["applicant_name_sealed"]) == DECLARANT_NAME
    assert shown_name == DECLARANT_NAME

    # At rest: every row of every table of every service's schema, read raw as text (bytea as hex,
    # jsonb as JSON). No ID number is there in clear, in any column; each is there encrypted.
    raw = await raw_tables(pii_system.env["ZC_DATABASE_URL"])
    assert {"integrity.records", "intake.declarations"} <= set(raw), sorted(raw)
    everything = "\n".join(raw.values())
    for number in (subject_number, declarant_number):
        assert number not in everything, number
    assert valid_id_numbers(everything) == set()
    stored = await fetch_one(
        pii_system.env["ZC_DATABASE_URL"],
        "SELECT subject_id_encrypted FROM integrity.records WHERE id = $1",
        uuid.UUID(record.json()["id"]),
    )
    assert cipher.decrypt(stored) == subject_number


async def raw_tables(database_url: str) -> dict[str, str]:
    """``schema.table`` -> all its rows as PostgreSQL's text form, for every table outside the catalogs."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = await connection.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        out: dict[str, str] = {}
        for table in tables:
            name = f'"{table["table_schema"]}"."{table["table_name"]}"'
            rows = await connection.fetch(f"SELECT t::text AS row FROM {name} t")
            out[f"{table['table_schema']}.{table['table_name']}"] = "\n".join(r["row"] for r in rows)
        return out
    finally:
        await connection.close()


async def fetch_one(database_url: str, query: str, *args: Any) -> Any:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()
