"""App factory of the intake service: ``uvicorn zhicheng_intake.app:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI

from zhicheng_common.app import composition, create_service_app
from zhicheng_common.clock import Clock
from zhicheng_common.pii import PiiCipher
from zhicheng_common.scheduler import Job
from zhicheng_common.settings import CommonSettings, prefixed
from zhicheng_intake import service
from zhicheng_intake.api import routers
from zhicheng_intake.consumers import subscriptions
from zhicheng_intake.settings import IntakeSettings
from zhicheng_intake.storage import AttachmentStore, PostgresAttachmentStore, S3AttachmentStore


def create_app(
    common: CommonSettings | None = None,
    settings: IntakeSettings | None = None,
    *,
    clock: Clock | None = None,
    storage: AttachmentStore | None = None,
) -> FastAPI:
    """Build the intake service app (composition root)."""
    common, settings, clock = composition(common, settings, IntakeSettings, clock)
    abandon = Job("abandon_overdue", service.abandon_overdue, settings.abandon_interval_seconds)
    cipher = PiiCipher(common.pii_key)
    context = service.IntakeDeps(
        cipher=cipher,
        storage=storage or _store(settings),
        media_types=settings.attachment_media_types,
        attachment_max_bytes=settings.attachment_max_bytes,
    )
    return create_service_app(common, settings, routers, subscriptions(cipher), [abandon], clock=clock, context=context)


def _store(settings: IntakeSettings) -> AttachmentStore:
    if settings.attachment_store == "s3":
        return S3AttachmentStore(**prefixed(settings, "s3_"))  # endpoint, bucket, region and the key pair
    return PostgresAttachmentStore()
