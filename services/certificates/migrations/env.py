"""Alembic environment of the certificates service (schema ``certificates``)."""

from zhicheng_certificates.models import Base
from zhicheng_common.migrations import run_env

run_env(schema="certificates", metadata=Base.metadata)
