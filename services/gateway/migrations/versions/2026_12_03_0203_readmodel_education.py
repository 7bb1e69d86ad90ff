"""DA-1 in the read model: a declaration's highest education and major, sealed as
``intake.declaration.submitted`` v3 sends them (issue 17, docs/readmodel.md)."""

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_readmodel_education"
down_revision: str | None = "gateway_verify"

SCHEMA = "gateway"


def upgrade() -> None:
    # Declarations projected before v3 keep NULL: their events never carried it (a rebuild from
    # the streams gives the same).
    op.add_column("rm_declarations", sa.Column("education_sealed", sa.String(1024), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("rm_declarations", "education_sealed", schema=SCHEMA)
