"""Committees' validity counted by NA-14 (issue 13): the valid_until the old count stored is recomputed.

Before issue 13, a filing approved on day A for N years was in force through the day before A's
corresponding day N years later (approved 2024-03-01 for 3 years: through 2027-02-28). NA-14 does
not count the approval day itself, so the period ends with the corresponding day (2027-03-01),
as ``zhicheng_common.periods.last_day_after`` computes for every service now. A committee whose
``valid_until`` is exactly what the old count gives for its ``valid_from`` and the years of its
current filing's pack is recomputed with that function; any other value is left as it is. A pack
id no pack has stops the migration (no other pack's years are guessed). The downgrade keeps the
NA-14 dates: the old count was a defect, not a state to return to.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

from zhicheng_common.periods import last_day_after
from zhicheng_common.policy import pack_by_id

revision: str = "committees_valid_until_na14"
down_revision: str | None = "committees_event_order"


def _old_count(approved_on: date, years: int) -> date:
    """The count before issue 13 (kept here only to recognise the rows it wrote)."""
    try:
        end = approved_on.replace(year=approved_on.year + years)
    except ValueError:  # 29 February → 1 March
        end = date(approved_on.year + years, 3, 1)
    return end - timedelta(days=1)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT c.id, c.valid_from, c.valid_until, f.policy_pack FROM committees.committees c"
            " JOIN committees.filings f ON f.id = c.current_filing_id"
            " WHERE c.valid_from IS NOT NULL AND c.valid_until IS NOT NULL"
        )
    ).all()
    for committee_id, valid_from, valid_until, pack_id in rows:
        years = pack_by_id(pack_id).parameters.committee_filing_validity_years.value
        if valid_until != _old_count(valid_from, years):
            continue
        recomputed = last_day_after(valid_from, years)
        if recomputed != valid_until:
            connection.execute(
                sa.text("UPDATE committees.committees SET valid_until = :until WHERE id = :id"),
                {"until": recomputed, "id": committee_id},
            )


def downgrade() -> None:
    pass
