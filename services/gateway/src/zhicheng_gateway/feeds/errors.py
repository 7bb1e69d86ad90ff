"""Refusals of the feeds, each with its HTTP status and stable ``code``."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, NotFound, ProblemError


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    title = "订阅不存在"


class BadSubscription(ProblemError):
    """A selection the catalog does not know, or personal fields without leave (400)."""

    code = "bad_subscription"
    title = "订阅内容有误"


class SubscriptionNameTaken(Conflict):
    code = "subscription_name_taken"
    title = "订阅名称已被使用"


class BadCursor(ProblemError):
    code = "bad_cursor"
    title = "游标无效"


class CatalogUnavailable(ProblemError):
    status = 503
    code = "catalog_unavailable"
    title = "事件目录暂不可用"
