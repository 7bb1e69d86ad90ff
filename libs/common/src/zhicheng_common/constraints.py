"""The table constraints every service's migrations name the same way (next to ``zhicheng_common.columns``)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, PrimaryKeyConstraint


def primary_key(table: str, *columns: str) -> PrimaryKeyConstraint:
    """The table's primary key, named ``pk_<table>`` as every service names it; on ``id`` unless ``columns`` say."""
    return PrimaryKeyConstraint(*(columns or ("id",)), name=f"pk_{table}")


def region_format(table: str) -> CheckConstraint:
    """``region`` holds a six-digit administrative division code (GB/T 2260): ``ck_<table>_region_format``."""
    return CheckConstraint("region ~ '^[0-9]{6}$'", name=f"ck_{table}_region_format")
