"""Refusals of the gateway, each with its HTTP status and stable ``code`` (rendered as RFC 9457)."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, Forbidden, NotAuthenticated, NotFound, ProblemError
from zhicheng_common.problems import UpstreamUnavailable as _UpstreamUnavailable


class InvalidCredentials(NotAuthenticated):
    """Unknown username, wrong password or a deactivated account (never says which)."""

    code = "invalid_credentials"
    title = "用户名或密码错误"


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "用户名已被使用"


class RoleNotGrantable(Forbidden):
    code = "role_not_grantable"
    title = "无权授予该角色"


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "用户不存在"


class UnknownArea(NotFound):
    code = "unknown_area"
    title = "接口不存在"


class UpstreamUnavailable(_UpstreamUnavailable):
    """The owning service could not be reached (refused, reset, DNS, connect timeout, pool full)."""


class UpstreamTimeout(ProblemError):
    """The owning service accepted the request but did not answer in time."""

    status = 504
    code = "upstream_timeout"
    title = "服务响应超时"


class ClockNotControlled(Conflict):
    """The deployment runs on the system clock (``ZC_CLOCK=system``): there is nothing to move."""

    code = "clock_not_controlled"
    title = "系统时钟不可调整"


class ClockBackwards(Conflict):
    """A move before the current controlled time without ``force``."""

    code = "clock_backwards"
    title = "时钟不能倒退"
