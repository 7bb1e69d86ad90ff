"""Every query of the certificate feature. Jurisdiction filters live here (``readable_by``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from zhicheng_certificates.certificate.models import Certificate, Holder, NumberCounter, StatusChange
from zhicheng_common.db import session_schema
from zhicheng_common.repository import RegionScoped, Repository


class CertificateRepository(RegionScoped, Repository):
    region_column = Certificate.region

    async def by_number(self, number: str, *, for_update: bool = False) -> Certificate | None:
        statement = select(Certificate).where(Certificate.number == number)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def by_declarations(self, declaration_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Certificate]:
        if not declaration_ids:
            return {}
        rows = await self.session.scalars(select(Certificate).where(Certificate.declaration_id.in_(declaration_ids)))
        return {row.declaration_id: row for row in rows if row.declaration_id is not None}

    async def revoked_by_record(self, record_id: uuid.UUID) -> Sequence[Certificate]:
        """The certificates revoked on the integrity record ``record_id`` (IN-1) and not reissued, locked."""
        statement = (
            select(Certificate)
            .where(
                Certificate.status == "revoked",
                Certificate.status_record_id == record_id,
                Certificate.superseded_by.is_(None),
            )
            .order_by(Certificate.number)
            .with_for_update()
        )
        return (await self.session.scalars(statement)).all()

    async def of_holder(self, holder_key: str) -> Sequence[Certificate]:
        statement = select(Certificate).where(Certificate.holder_key == holder_key).order_by(Certificate.issued_at)
        return (await self.session.scalars(statement)).all()

    async def serials(self, province: str, year: int, count: int) -> range:
        """``count`` new serials of a province and year, in order, reserved in a short transaction of their own.

        The counter row is locked only for that transaction, so issuers in several processes do not
        wait for each other's signing; a certificate whose transaction then rolls back leaves its
        serial unused (a gap, never a duplicate).
        """
        statement = (
            insert(NumberCounter)
            .values(province=province, year=year, last_serial=count)
            .on_conflict_do_update(
                index_elements=[NumberCounter.province, NumberCounter.year],
                set_={"last_serial": NumberCounter.last_serial + count},
            )
            .returning(NumberCounter.last_serial)
        )
        engine = self.session.bind
        assert isinstance(engine, AsyncEngine), "a session of zhicheng_common.db.Database"
        async with engine.begin() as connection:
            last = (await connection.execute(statement)).scalar_one()
        return range(last - count + 1, last + 1)

    async def status_indices(self, count: int) -> list[int]:
        """``count`` status-list indices, each given once (a sequence: no lock between issuers)."""
        sequence = f'"{session_schema(self.session)}".status_list_index_seq'
        rows = await self.session.execute(
            text(f"SELECT nextval('{sequence}') FROM generate_series(1, :n)"),  # noqa: S608 - the schema's own name
            {"n": count},
        )
        return [int(value) for (value,) in rows]

    async def highest_index(self) -> int:
        """The highest status-list index given out so far (-1 before the first)."""
        sequence = f'"{session_schema(self.session)}".status_list_index_seq'
        statement = text(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - the schema's own name
        row = (await self.session.execute(statement)).one()
        return int(row[0]) if row[1] else -1

    async def holders(self, declaration_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Holder]:
        if not declaration_ids:
            return {}
        rows = await self.session.scalars(select(Holder).where(Holder.declaration_id.in_(declaration_ids)))
        return {row.declaration_id: row for row in rows}

    async def add_holder(self, *, declaration_id: uuid.UUID, holder_key: str, holder_sealed: str, region: str) -> None:
        statement = (
            insert(Holder)
            .values(declaration_id=declaration_id, holder_key=holder_key, holder_sealed=holder_sealed, region=region)
            .on_conflict_do_update(
                index_elements=[Holder.declaration_id],
                set_={"holder_key": holder_key, "holder_sealed": holder_sealed, "region": region},
            )
        )
        await self.session.execute(statement)

    async def history(self, certificate_id: uuid.UUID) -> Sequence[StatusChange]:
        statement = select(StatusChange).where(StatusChange.certificate_id == certificate_id).order_by(StatusChange.at)
        return (await self.session.scalars(statement)).all()

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Certificate)) or 0)
