"""The sitting of a meeting and its secret ballot (issue 15): applicants and panel learnt from review
and experts, arrangement, sign-in, recusals, review groups, opinions; rounds, participations, sealed
envelopes and ballots (docs/secret-ballot.md: no timestamp and no time-ordered key on the ballot tables)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "committees_meetings_ballots"
down_revision: str | None = "committees_valid_until_republish"

SCHEMA = "committees"
UUID = postgresql.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)


def _sitting_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["meeting_id"],
        [f"{SCHEMA}.meeting_sittings.meeting_id"],
        name=f"fk_{table}_meeting_id_meeting_sittings",
        ondelete="CASCADE",
    )


def _round_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["round_id"], [f"{SCHEMA}.ballot_rounds.id"], name=f"fk_{table}_round_id_ballot_rounds", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "qualified_declarations",
        sa.Column("declaration_id", UUID, nullable=False),
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("specialty", sa.String(64), nullable=True),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("applicant_key", sa.String(64), nullable=False),
        sa.Column("applicant_name_sealed", sa.Text(), nullable=True),
        sa.Column("unit_key", sa.String(64), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.PrimaryKeyConstraint("declaration_id", name="pk_qualified_declarations"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_qualified_declarations_committee_year",
        "qualified_declarations",
        ["committee_id", "year"],
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_panels",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("draw_id", UUID, nullable=False),
        sa.Column("members", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", name="pk_meeting_panels"),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_sittings",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("venue", sa.String(200), nullable=True),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("forms", postgresql.JSONB(), nullable=False),
        sa.Column("applicants", postgresql.JSONB(), nullable=False),
        sa.Column("chair", sa.String(64), nullable=True),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("opened_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("arranged_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", name="pk_meeting_sittings"),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            [f"{SCHEMA}.plan_meetings.id"],
            name="fk_meeting_sittings_meeting_id_plan_meetings",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_attendance",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("expert_id", sa.String(64), nullable=False),
        sa.Column("signed_in_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "expert_id", name="pk_meeting_attendance"),
        _sitting_fk("meeting_attendance"),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_recusals",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("declaration_id", sa.String(64), nullable=False),
        sa.Column("expert_id", sa.String(64), nullable=False),
        sa.Column("reason_encrypted", sa.Text(), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "declaration_id", "expert_id", name="pk_meeting_recusals"),
        _sitting_fk("meeting_recusals"),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_group_members",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("declaration_id", sa.String(64), nullable=False),
        sa.Column("expert_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "declaration_id", "expert_id", name="pk_meeting_group_members"),
        _sitting_fk("meeting_group_members"),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_opinions",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("declaration_id", sa.String(64), nullable=False),
        sa.Column("expert_id", sa.String(64), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("text_encrypted", sa.Text(), nullable=False),
        sa.Column("written_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "declaration_id", "expert_id", name="pk_meeting_opinions"),
        _sitting_fk("meeting_opinions"),
        schema=SCHEMA,
    )
    op.create_table(
        "ballot_rounds",
        sa.Column("id", UUID, nullable=False),
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("applicants", postgresql.JSONB(), nullable=False),
        sa.Column("voters", postgresql.JSONB(), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("tally", postgresql.JSONB(), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ballot_rounds"),
        sa.UniqueConstraint("meeting_id", "number", name="uq_ballot_rounds_meeting_id"),
        _sitting_fk("ballot_rounds"),
        schema=SCHEMA,
    )
    op.create_table(
        "ballot_participations",
        sa.Column("round_id", UUID, nullable=False),
        sa.Column("expert_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("round_id", "expert_id", name="pk_ballot_participations"),
        _round_fk("ballot_participations"),
        schema=SCHEMA,
    )
    op.create_table(
        "ballot_envelopes",
        sa.Column("id", UUID, nullable=False),
        sa.Column("round_id", UUID, nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ballot_envelopes"),
        _round_fk("ballot_envelopes"),
        schema=SCHEMA,
    )
    op.create_index("ix_ballot_envelopes_round_id", "ballot_envelopes", ["round_id"], schema=SCHEMA)
    op.create_table(
        "ballots",
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Column("round_id", UUID, nullable=False),
        sa.Column("declaration_id", sa.String(64), nullable=False),
        sa.Column("choice", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("tag", name="pk_ballots"),
        _round_fk("ballots"),
        schema=SCHEMA,
    )
    op.create_index("ix_ballots_round_id", "ballots", ["round_id"], schema=SCHEMA)


def downgrade() -> None:
    for table in (
        "ballots",
        "ballot_envelopes",
        "ballot_participations",
        "ballot_rounds",
        "meeting_opinions",
        "meeting_group_members",
        "meeting_recusals",
        "meeting_attendance",
        "meeting_sittings",
        "meeting_panels",
        "qualified_declarations",
    ):
        op.drop_table(table, schema=SCHEMA)
