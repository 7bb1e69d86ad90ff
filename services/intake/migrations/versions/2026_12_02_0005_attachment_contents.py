"""Issue 12: attachment bytes in PostgreSQL (``intake.attachment_contents``), not on a pod's disk.

Written in the transaction of their metadata (``intake.attachments``), read by every replica,
included in the database's backups. Files of an earlier local-disk store are not moved by this
migration (they lived in a pod's emptyDir); docs/attachments.md says how to carry them over.
"""

from alembic import op

from zhicheng_common.columns import binary, string

revision: str = "intake_attachment_contents"
down_revision: str | None = "intake_event_order"

SCHEMA = "intake"


def upgrade() -> None:
    op.create_table(
        "attachment_contents",
        string("storage_key", 255, primary_key=True),
        binary("content"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("attachment_contents", schema=SCHEMA)
