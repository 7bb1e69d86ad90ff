"""Refusals of the API keys, each with its HTTP status and stable ``code``."""

from __future__ import annotations

from zhicheng_common.problems import Forbidden, NotAuthenticated, NotFound, ProblemError


class ApiKeyRefused(NotAuthenticated):
    """No key, an unknown or wrong secret, a revoked key, or an old secret past its overlap (401)."""

    code = "api_key_invalid"
    title = "API 密钥无效"


class QuotaExceeded(ProblemError):
    """The key used up its calls of the current window: 429 with ``Retry-After``."""

    status = 429
    code = "quota_exceeded"
    title = "调用次数超过配额"


class ScopeRequired(Forbidden):
    code = "scope_required"
    title = "API 密钥没有所需的权限范围"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    title = "API 密钥不存在"


class BadKeyRequest(ProblemError):
    """A key asked for with scopes or figures the gateway does not accept (400)."""

    code = "bad_api_key_request"
    title = "API 密钥申请有误"
