"""Committees' NA-14 validities reach the services that copy them (issue 13).

``committees_valid_until_na14`` corrected stored ``valid_until`` dates in place, but published
nothing, so intake's copy of each committee kept the old count's date (and with it, the last day
intake lets a declaration reach the committee, CM-4). This migration publishes, for every
committee whose date the correction concerns, the event the service publishes whenever a
committee's validity is set: its current filing's ``committees.committee.approved`` (first filing)
or ``committees.committee.refiled`` (a later one), with the committee as it now stands. Intake
replaces its copy with it; the outbox gives it the aggregate's next version, so it is applied
after everything published before.

Concerned are the committees in force (active, or suspended under CM-10) whose ``valid_until`` is
NA-14's count for its ``valid_from`` and its pack's years, where that differs from the old count:
the rows ``committees_valid_until_na14`` moved, and those approved since with the same date
(sending them again changes nothing). A committee whose last filing event still in the outbox
already carries the date is skipped. An expired or withdrawn committee is not re-approved in the
stream: it evaluates nothing, and its status event is what others act on. The downgrade leaves the
events: they were published.

Revision ID: committees_valid_until_republish
Revises: committees_valid_until_na14
Create Date: 2026-12-02
"""

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

from zhicheng_committees.events import CommitteeApproved, CommitteeRefiled
from zhicheng_common.events.outbox import record_event_in_migration
from zhicheng_common.periods import last_day_after
from zhicheng_common.policy import pack_by_id

revision: str = "committees_valid_until_republish"
down_revision: str | None = "committees_valid_until_na14"

SCHEMA = "committees"
IN_FORCE = ("active", "suspended")
FILED_TYPES = ("committees.committee.approved", "committees.committee.refiled")


def _old_count_of(approved_on: date, years: int) -> date:
    """The count before issue 13: the day before the corresponding day (see committees_valid_until_na14)."""
    try:
        end = approved_on.replace(year=approved_on.year + years)
    except ValueError:  # 29 February → 1 March
        end = date(approved_on.year + years, 3, 1)
    return end - timedelta(days=1)


def _last_published_valid_until(connection: sa.Connection, committee_id: str) -> str | None:
    return connection.execute(
        sa.text(
            "SELECT envelope->'data'->>'valid_until' FROM committees.outbox"
            " WHERE envelope->>'subject' = :committee AND subject IN :types"
            " ORDER BY seq DESC LIMIT 1"
        ).bindparams(sa.bindparam("types", expanding=True)),
        {"committee": committee_id, "types": list(FILED_TYPES)},
    ).scalar()


def _event(connection: sa.Connection, row: Any) -> CommitteeApproved | CommitteeRefiled:
    data = {
        "committee_id": row.id,
        "filing_id": row.filing_id,
        "name": row.name,
        "kind": row.kind,
        "formation_basis": row.formation_basis,
        "series": row.series,
        "specialties": list(row.specialties),
        "levels": list(row.levels),
        "scope_regions": list(row.scope_regions),
        "scope_ownership_kinds": list(row.scope_ownership_kinds),
        "policy_pack": row.policy_pack,
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
        "region": row.filing_region,
        "organizer_name": row.organizer_name,
        "member_count": row.member_count,
        "status": row.status,
    }
    previous = connection.execute(
        sa.text(
            "SELECT id FROM committees.filings WHERE committee_id = :committee AND sequence < :sequence"
            " AND status = 'superseded' ORDER BY sequence DESC LIMIT 1"
        ),
        {"committee": row.id, "sequence": row.sequence},
    ).scalar()
    if previous is None:
        return CommitteeApproved.model_validate(data)
    return CommitteeRefiled.model_validate({**data, "previous_filing_id": previous, "reason": row.reason})


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT c.id, c.status, c.valid_from, c.valid_until, c.region,"
            " f.id AS filing_id, f.sequence, f.reason, f.name, f.kind, f.formation_basis, f.series,"
            " f.specialties, f.levels, f.scope_regions, f.scope_ownership_kinds, f.policy_pack,"
            " f.region AS filing_region, f.organizer_name, f.member_count"
            " FROM committees.committees c JOIN committees.filings f ON f.id = c.current_filing_id"
            " WHERE c.valid_from IS NOT NULL AND c.valid_until IS NOT NULL AND c.status IN :in_force"
            " ORDER BY c.id"
        ).bindparams(sa.bindparam("in_force", expanding=True)),
        {"in_force": list(IN_FORCE)},
    ).all()
    for row in rows:
        years = pack_by_id(row.policy_pack).parameters.committee_filing_validity_years.value
        if row.valid_until != last_day_after(row.valid_from, years):
            continue  # not NA-14's count: a date set otherwise, not this correction's
        if row.valid_until == _old_count_of(row.valid_from, years):
            continue  # both counts agree (e.g. approved on 29 February): nothing was wrong
        if _last_published_valid_until(connection, str(row.id)) == row.valid_until.isoformat():
            continue  # intake already has this date
        record_event_in_migration(
            connection, _event(connection, row), schema=SCHEMA, subject=str(row.id), region=row.region
        )


def downgrade() -> None:
    pass
