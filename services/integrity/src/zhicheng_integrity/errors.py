"""Refusals of the integrity service, each with its HTTP status and stable ``code`` (rendered as RFC 9457)."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, Forbidden, NotFound, ProblemError, RuleRefused
from zhicheng_common.refusals import Refusal, refused


class RecordNotFound(NotFound, code="record_not_found", title="诚信记录不存在"): ...


class AppealNotFound(NotFound, code="appeal_not_found", title="申诉不存在"): ...


class InvalidTransition(Conflict, code="invalid_record_status", title="记录当前状态不允许此操作"):
    """The record's status does not allow the action (e.g. appealing a withdrawn record)."""


class AppealPending(Conflict, code="appeal_pending", title="该记录已有待处理的申诉"): ...


class NotRecordSubject(Forbidden, code="not_record_subject", title="您不是该记录的当事人"): ...


class NotOwnSubject(Forbidden, code="not_own_subject", title="只能查询本人（本单位）的诚信记录"):
    """The number typed is not the caller's bound identity (or none is bound): nothing is looked up."""


class SubjectMismatch(ProblemError, status=400, code="subject_mismatch", title="证件号码与记录对象不符"): ...


class InvalidIdentifier(ProblemError, status=422, code="validation_failed", title="请求数据格式有误"):
    """An identifier checked outside the request schema (it depends on the stored record's kind)."""


class RecordRejected(ProblemError, status=400, code="record_inconsistent", title="记录内容相互矛盾"):
    """Kind, subject and effects do not fit together (400), naming every field in ``errors[]``."""


def refuse(problems: list[Refusal]) -> ProblemError:
    """The problem to raise for ``problems``: a rule refusal (409) when a rule refused, else a 400."""
    ruled = [p for p in problems if p.rule is not None and p.code in RULE_REFUSALS]
    if ruled:
        return refused(problems, error=RuleRefused, code=ruled[0].code, rule=ruled[0].rule)
    return refused(problems, error=RecordRejected, code=RecordRejected.code, rule=None)


# Problems that are a policy rule refusing an otherwise well-formed record (409 with ``rule``).
RULE_REFUSALS = frozenset({"validity_too_long", "sanction_required"})
