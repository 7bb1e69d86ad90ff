"""Alembic environment of the certificates service (schema ``certificates``)."""

from zhicheng_common.migrations import run_env
from zhicheng_certificates.models import Base

run_env(schema="certificates", metadata=Base.metadata)
