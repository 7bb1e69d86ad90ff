"""Helpers of the read-model tests: a season of events published the way the producers do (with
their times and per-aggregate versions), and a wait until the read model applied them."""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.ids import uuid7
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import resident_id, run_sql, wait_until
from zhicheng_gateway.settings import GatewaySettings

from .conftest import ADMIN_PASSWORD, ADMIN_USERNAME, SHANXI, Gateway, dead_url, running_gateway

CHINA_NOON = time(4, 0, tzinfo=UTC)  # 12:00 in Beijing


def settings_for_tests() -> GatewaySettings:
    """The gateway's test settings (as the ``gateway_settings`` fixture makes them), for module-scoped gateways."""
    return GatewaySettings(
        admin_username=ADMIN_USERNAME,
        admin_password=ADMIN_PASSWORD,
        admin_region=SHANXI,
        upstream_timeout_seconds=5.0,
        health_timeout_seconds=2.0,
        **{
            f"{name}_url": dead_url()
            for name in ("intake", "review", "experts", "committees", "integrity", "certificates")
        },
    )


@contextlib.asynccontextmanager
async def module_gateway(settings: CommonSettings) -> AsyncIterator[Gateway]:
    async with running_gateway(settings, settings_for_tests()) as running:
        yield running


def at(day: date) -> datetime:
    return datetime.combine(day, CHINA_NOON)


@dataclass
class Season:
    """Publishes events about declarations, committees, meetings and certificates of a test."""

    js: Any
    settings: CommonSettings
    published: list[str] = field(default_factory=list)
    versions: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    @property
    def cipher(self) -> PiiCipher:
        return PiiCipher(self.settings.pii_key)

    async def publish(
        self, name: str, data: dict[str, Any], *, subject: str, region: str, on: date, version: int | None = None
    ) -> str:
        producer = name.split(".")[0]
        self.versions[(producer, subject)] += 1
        event = CloudEvent(
            id=str(uuid7()),
            source=f"/zhicheng/{producer}",
            type=f"cn.zhicheng.{name}.v{version or VERSIONS.get(name, 1)}",
            subject=subject,
            time=at(on),
            data=data,
            region=region,
            aggregateversion=self.versions[(producer, subject)],
        )
        # The ack waits for NATS's fsync (`sync_interval: always`): slow on a busy machine, so a
        # longer wait than the client's default 5 s.
        await self.js.publish(
            f"{self.settings.events_prefix}.{name}",
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.id},
            timeout=30.0,
        )
        self.published.append(event.id)
        return event.id

    async def committee(self, region: str, name: str, *, on: date) -> str:
        committee_id = str(uuid.uuid4())
        await self.publish(
            "committees.committee.approved",
            {
                "committee_id": committee_id,
                "filing_id": str(uuid.uuid4()),
                "name": name,
                "kind": "intermediate",
                "formation_basis": "series",
                "series": "engineering",
                "specialties": [],
                "levels": ["intermediate"],
                "scope_regions": [region],
                "scope_ownership_kinds": [],
                "policy_pack": "shanxi-2026",
                "valid_from": "2026-01-01",
                "valid_until": "2028-12-31",
                "member_count": 25,
                "organizer_name": f"{name}办公室",
                "region": region,
                "status": "approved",
            },
            subject=committee_id,
            region=region,
            on=on,
        )
        return committee_id

    async def submitted(
        self,
        county: str,
        committee_id: str,
        *,
        on: date,
        name: str,
        person: str,
        year: int = 2026,
        education: tuple[str, str] | None = None,
    ) -> str:
        """A submission: v3 with ``education`` (level, major) sealed as intake seals it, v2 without."""
        declaration = str(uuid.uuid4())
        holder = self.cipher.encrypt(f'{{"name": "{name}", "gender": "female", "resident_id": "{person}"}}')
        sealed: dict[str, str] = {}
        if education is not None:
            level, major = education
            sealed["education_sealed"] = self.cipher.encrypt(f'{{"level": "{level}", "major": "{major}"}}')
        await self.publish(
            "intake.declaration.submitted",
            {
                **sealed,
                "declaration_id": declaration,
                "applicant_key": self.cipher.keyed_hash(person),
                "applicant_name_sealed": self.cipher.encrypt(name),
                "holder_sealed": holder,
                "year": year,
                "series": "engineering",
                "specialty": "civil",
                "level": "intermediate",
                "rank": "intermediate",
                "committee_id": committee_id,
                "kind": "regular",
                "channel": "unit",
                "employer_name": "示例设计院",
                "region": county,
            },
            subject=declaration,
            region=county,
            on=on,
            version=3 if education is not None else 2,
        )
        return declaration

    async def review(self, fact: str, declaration: str, county: str, *, on: date, **data: Any) -> str:
        return await self.publish(
            f"review.declaration.{fact}",
            {"declaration_id": declaration, **data},
            subject=declaration,
            region=county,
            on=on,
        )

    async def intake(self, fact: str, declaration: str, county: str, *, on: date, **data: Any) -> str:
        return await self.publish(
            f"intake.declaration.{fact}",
            {"declaration_id": declaration, **data},
            subject=declaration,
            region=county,
            on=on,
        )

    async def qualified(self, declaration: str, county: str, committee_id: str, person: str, *, on: date) -> str:
        return await self.review(
            "qualified",
            declaration,
            county,
            on=on,
            committee_id=committee_id,
            applicant_key=self.cipher.keyed_hash(person),
            year=2026,
            series="engineering",
            specialty="civil",
            level="intermediate",
            rank="intermediate",
            kind="regular",
            employer_name="示例设计院",
            region=county,
        )

    async def confirmed(
        self,
        city: str,
        committee_id: str,
        *,
        on: date,
        passed: Sequence[tuple[str, str, str]],
        not_passed: Sequence[str] = (),
        year: int = 2026,
    ) -> str:
        meeting = str(uuid.uuid4())
        await self.publish(
            "committees.results.confirmed",
            {
                "confirmation_id": str(uuid.uuid4()),
                "meeting_id": meeting,
                "committee_id": committee_id,
                "committee_name": f"评委会 {city}",
                "plan_id": str(uuid.uuid4()),
                "year": year,
                "region": city,
                "policy_pack": "shanxi-2026",
                "approving_authority": "市人力资源和社会保障局",
                "document_number": f"人社字〔{year}〕{city[2:4]}号",
                "confirmed_on": on.isoformat(),
                "title_obtained_on": on.isoformat(),
                "reexamination_id": None,
                "passed": [
                    {
                        "declaration_id": declaration,
                        "applicant_key": self.cipher.keyed_hash(person),
                        "applicant_name_sealed": self.cipher.encrypt(name),
                        "series": "engineering",
                        "specialty": "civil",
                        "level": "intermediate",
                        "title_name": "工程师",
                    }
                    for declaration, person, name in passed
                ],
                "not_passed": list(not_passed),
            },
            subject=meeting,
            region=city,
            on=on,
        )
        return meeting

    async def certificate(
        self,
        number: str,
        county: str,
        *,
        person: str,
        name: str,
        on: date,
        declaration: str | None = None,
        committee_id: str | None = None,
        year: int = 2026,
    ) -> str:
        return await self.publish(
            "certificates.certificate.issued",
            {
                "certificate_number": number,
                "licence_identifier": f"L-{number}",
                "declaration_id": declaration,
                "holder_key": self.cipher.keyed_hash(person),
                "holder_name_sealed": self.cipher.encrypt(name),
                "series": "engineering",
                "specialty": "civil",
                "level": "intermediate",
                "title_name": "工程师",
                "committee_id": committee_id,
                "region": county,
                "year": year,
                "obtained_on": on.isoformat(),
                "issued_at": at(on).isoformat(),
                "status_list_index": 1,
                "basis": "evaluation" if declaration else "initial_determination",
            },
            subject=number,
            region=county,
            on=on,
        )

    async def applied(self) -> None:
        """Wait until the read model applied every event this season published."""
        ids = list(self.published)

        async def count() -> bool:
            rows = await run_sql(
                self.settings,
                "gateway",
                "SELECT count(*) FROM gateway.rm_applied_events WHERE event_id = ANY(CAST(:ids AS uuid[]))",
                ids=ids,
            )
            return bool(rows[0][0] == len(ids))

        # A durable's pull from a gateway a test just stopped may hold some messages until their
        # ack wait (30 s) ends: wait longer than that.
        await wait_until(count, timeout=75.0, what="the read model to apply the events")


VERSIONS = {
    "review.declaration.returned": 2,
    "review.declaration.qualified": 2,
    "review.declaration.rejected": 2,
    "review.declaration.disqualified": 2,
}


def person(region: str, sequence: int) -> str:
    return resident_id(region, date(1985, 5, 5), sequence)


async def a_season(season: Season, city_a: str, city_b: str) -> dict[str, Any]:
    """City A: one declaration through to its certificate, one left overdue; city B: one not passed,
    and a direct recognition later revoked. Each city's county is ``city[:4] + "02"``. The overdue
    one is submitted as a v2 event (no education), the others as v3 (with it)."""
    county_a, county_b = city_a[:4] + "02", city_b[:4] + "02"
    number_a, number_b = f"ZC-{city_a[:4]}-2026-0001", f"ZC-{city_b[:4]}-2026-0001"
    jc = await season.committee(city_a, f"{city_a} 工程系列中级评委会", on=date(2026, 1, 5))
    sz = await season.committee(city_b, f"{city_b} 工程系列中级评委会", on=date(2026, 1, 5))
    wang, li, zhao = person(county_a, 11), person(county_a, 12), person(county_b, 13)
    d1 = await season.submitted(
        county_a, jc, on=date(2026, 3, 2), name="王晋", person=wang, education=("master", "结构工程")
    )
    await season.review("returned", d1, county_a, on=date(2026, 3, 4), deadline="2026-03-11", items=[], step="hr")
    await season.intake("resubmitted", d1, county_a, on=date(2026, 3, 9), corrected_fields=["title"])
    await season.qualified(d1, county_a, jc, wang, on=date(2026, 3, 12))
    d2 = await season.submitted(county_a, jc, on=date(2026, 3, 2), name="李城", person=li)
    await season.review("returned", d2, county_a, on=date(2026, 3, 3), deadline="2026-03-10", items=[], step="hr")
    d3 = await season.submitted(
        county_b, sz, on=date(2026, 3, 2), name="赵朔", person=zhao, education=("college", "建筑工程技术")
    )
    await season.qualified(d3, county_b, sz, zhao, on=date(2026, 3, 5))
    await season.confirmed(city_a, jc, on=date(2026, 3, 20), passed=[(d1, wang, "王晋")])
    await season.confirmed(city_b, sz, on=date(2026, 3, 20), passed=[], not_passed=[d3])
    await season.certificate(
        number_a,
        county_a,
        person=wang,
        name="王晋",
        on=date(2026, 3, 23),
        declaration=d1,
        committee_id=jc,
    )
    # A direct recognition in Shuozhou (no declaration), later revoked.
    await season.certificate(number_b, county_b, person=zhao, name="赵朔", on=date(2026, 4, 1))
    await season.publish(
        "certificates.certificate.revoked",
        {
            "certificate_number": number_b,
            "holder_key": season.cipher.keyed_hash(zhao),
            "region": county_b,
            "reason_category": "integrity",
            "record_id": None,
            "at": "2026-05-06T02:00:00+00:00",
        },
        subject=number_b,
        region=county_b,
        on=date(2026, 5, 6),
    )
    await season.applied()
    return {"jc": jc, "sz": sz, "d1": d1, "d2": d2, "d3": d3, "wang": wang, "zhao": zhao, "a": number_a, "b": number_b}
