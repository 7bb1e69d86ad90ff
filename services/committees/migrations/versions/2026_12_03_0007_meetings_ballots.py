"""The sitting of a meeting and its secret ballot (issue 15): applicants and panel learnt from review
and experts, arrangement, sign-in, recusals, review groups, opinions; rounds, participations, sealed
envelopes and ballots (docs/secret-ballot.md: no timestamp and no time-ordered key on the ballot tables)."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import binary, boolean, integer, jsonb, long_text, smallint, string, timestamp, uid
from zhicheng_common.constraints import primary_key
from zhicheng_common.migrations import drop_tables

revision: str = "committees_meetings_ballots"
down_revision: str | None = "committees_valid_until_republish"

SCHEMA = "committees"


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
        uid("declaration_id"),
        uid("committee_id"),
        integer("year"),
        string("series", 64),
        string("specialty", 64, nullable=True),
        string("level", 32),
        string("applicant_key", 64),
        long_text("applicant_name_sealed", nullable=True),
        string("unit_key", 64),
        string("region", 6),
        primary_key("qualified_declarations", "declaration_id"),
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
        uid("meeting_id"),
        uid("committee_id"),
        uid("draw_id"),
        jsonb("members"),
        primary_key("meeting_panels", "meeting_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_sittings",
        uid("meeting_id"),
        string("status", 16),
        string("venue", 200, nullable=True),
        boolean("remote"),
        jsonb("forms"),
        jsonb("applicants"),
        string("chair", 64, nullable=True),
        integer("members", nullable=True),
        timestamp("opened_at", nullable=True),
        timestamp("closed_at", nullable=True),
        string("arranged_by", 128),
        primary_key("meeting_sittings", "meeting_id"),
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
        uid("meeting_id"),
        string("expert_id", 64),
        timestamp("signed_in_at"),
        primary_key("meeting_attendance", "meeting_id", "expert_id"),
        _sitting_fk("meeting_attendance"),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_recusals",
        uid("meeting_id"),
        string("declaration_id", 64),
        string("expert_id", 64),
        long_text("reason_encrypted"),
        timestamp("recorded_at"),
        primary_key("meeting_recusals", "meeting_id", "declaration_id", "expert_id"),
        _sitting_fk("meeting_recusals"),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_group_members",
        uid("meeting_id"),
        string("declaration_id", 64),
        string("expert_id", 64),
        primary_key("meeting_group_members", "meeting_id", "declaration_id", "expert_id"),
        _sitting_fk("meeting_group_members"),
        schema=SCHEMA,
    )
    op.create_table(
        "meeting_opinions",
        uid("meeting_id"),
        string("declaration_id", 64),
        string("expert_id", 64),
        smallint("score"),
        long_text("text_encrypted"),
        timestamp("written_at"),
        primary_key("meeting_opinions", "meeting_id", "declaration_id", "expert_id"),
        _sitting_fk("meeting_opinions"),
        schema=SCHEMA,
    )
    op.create_table(
        "ballot_rounds",
        uid("id"),
        uid("meeting_id"),
        integer("number"),
        string("status", 16),
        jsonb("applicants"),
        jsonb("voters"),
        timestamp("opened_at"),
        timestamp("closed_at", nullable=True),
        jsonb("tally", nullable=True),
        long_text("signature", nullable=True),
        string("key_id", 64, nullable=True),
        primary_key("ballot_rounds"),
        sa.UniqueConstraint("meeting_id", "number", name="uq_ballot_rounds_meeting_id"),
        _sitting_fk("ballot_rounds"),
        schema=SCHEMA,
    )
    op.create_table(
        "ballot_participations",
        uid("round_id"),
        string("expert_id", 64),
        primary_key("ballot_participations", "round_id", "expert_id"),
        _round_fk("ballot_participations"),
        schema=SCHEMA,
    )
    op.create_table(
        "ballot_envelopes",
        uid("id"),
        uid("round_id"),
        binary("nonce"),
        binary("ciphertext"),
        primary_key("ballot_envelopes"),
        _round_fk("ballot_envelopes"),
        schema=SCHEMA,
    )
    op.create_index("ix_ballot_envelopes_round_id", "ballot_envelopes", ["round_id"], schema=SCHEMA)
    op.create_table(
        "ballots",
        string("tag", 64),
        uid("round_id"),
        string("declaration_id", 64),
        string("choice", 8),
        primary_key("ballots", "tag"),
        _round_fk("ballots"),
        schema=SCHEMA,
    )
    op.create_index("ix_ballots_round_id", "ballots", ["round_id"], schema=SCHEMA)


def downgrade() -> None:
    drop_tables(
        SCHEMA,
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
    )
