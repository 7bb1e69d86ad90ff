"""Alembic environment of the review service (schema ``review``)."""

from zhicheng_common.migrations import run_env
from zhicheng_review.models import Base

run_env(schema="review", metadata=Base.metadata)
