"""Alembic environment of the committees service (schema ``committees``)."""

from zhicheng_common.migrations import run_env
from zhicheng_committees.models import Base

run_env(schema="committees", metadata=Base.metadata)
