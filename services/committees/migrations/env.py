"""Alembic environment of the committees service (schema ``committees``)."""

from zhicheng_committees.models import Base
from zhicheng_common.migrations import run_env

run_env(schema="committees", metadata=Base.metadata)
