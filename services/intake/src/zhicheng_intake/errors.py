"""Problems intake answers with (stable codes, Chinese titles)."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, ProblemError, RuleRefused


class NotEligible(RuleRefused, code="not_eligible", title="申报不符合条件"): ...


class InvalidDeclaration(ProblemError, status=400, code="invalid_declaration", title="申报内容有误"): ...


class WrongState(Conflict, code="wrong_state", title="申报当前状态不允许此操作"): ...


class IdempotencyKeyReused(Conflict, code="idempotency_key_reused", title="幂等键已用于另一请求"): ...


class AttachmentUnavailable(ProblemError, status=500, code="attachment_unavailable", title="附件暂不可用"):
    """The stored file is missing or no longer matches its digest: an operator must restore it."""


class AttachmentTooLarge(ProblemError, status=413, code="attachment_too_large", title="附件超过大小限制"): ...


class AttachmentTypeNotAllowed(
    ProblemError, status=415, code="attachment_type_not_allowed", title="附件类型不允许"
): ...


class UnknownAttachmentKind(ProblemError, status=422, code="unknown_attachment_kind", title="附件类别不存在"):
    """An attachment's kind is none of the reference catalog's attachment kinds."""


class AttachmentContentMismatch(
    ProblemError, status=422, code="attachment_content_mismatch", title="附件内容与类型不符"
): ...
