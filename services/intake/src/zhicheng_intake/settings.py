"""Settings of the intake service (environment prefix ``ZC_INTAKE_``)."""

from __future__ import annotations

from typing import Literal

from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "intake", "declarations", migrations_dir(__file__)


class IntakeSettings(ServiceSettings, service=SERVICE):
    # Where attachment bytes live (docs/attachments.md): "postgres" (intake.attachment_contents, in
    # the transaction of their metadata; every replica reads them, backups include them) or "s3".
    attachment_store: Literal["postgres", "s3"] = "postgres"
    # An S3-compatible store (attachment_store = "s3"): endpoint URL, bucket, region and keys.
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    # Media types accepted; each is also checked against the file's leading (magic) bytes.
    attachment_media_types: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png", "application/ofd")
    # Largest attachment accepted, in bytes.
    attachment_max_bytes: int = 10 * 1024 * 1024
    # How often the scheduler looks for returned declarations past their correction deadline.
    abandon_interval_seconds: float = 60.0
