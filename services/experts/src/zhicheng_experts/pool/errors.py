"""Refusals about pool filings (rendered as RFC 9457 problems)."""

from __future__ import annotations

from collections.abc import Sequence

from zhicheng_common.problems import Conflict, NotFound, ProblemError, RuleRefused
from zhicheng_common.refusals import Refusal, refused


class FilingNotFound(NotFound, code="pool_filing_not_found", title="专家库备案不存在"): ...


class CommitteeUnknown(Conflict, code="committee_unknown", title="评委会未核准备案或尚未同步"):
    """The committee's approval has not reached the experts service (or it does not exist)."""


class UnknownMembers(ProblemError, status=400, code="unknown_experts", title="备案名单中有不存在的专家"): ...


class FilingRejected(ProblemError, status=400, code="pool_filing_invalid", title="专家库备案信息有误"): ...


def refuse(refusals: Sequence[Refusal]) -> ProblemError:
    """409 with the first rule's id when a rule refused (every refusal in ``errors[]``), else 400."""
    ruled = [r for r in refusals if r.rule]
    if ruled:
        return refused(refusals, error=RuleRefused, code=ruled[0].code, rule=ruled[0].rule)
    return refused(refusals, error=FilingRejected, code=FilingRejected.code, rule=None)
