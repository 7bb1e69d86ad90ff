"""Refusals about annual plans (RFC 9457)."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, NotFound


class PlanNotFound(NotFound):
    code = "plan_not_found"
    title = "年度评审计划不存在"


class PlanExists(Conflict):
    code = "plan_exists"
    title = "该年度评审计划已存在"


class PlanAlreadyPublished(Conflict):
    code = "plan_already_published"
    title = "评审计划已发布"
