"""Refusals about experts, each with its HTTP status and stable ``code`` (rendered as RFC 9457)."""

from __future__ import annotations

from collections.abc import Sequence

from zhicheng_common.problems import Conflict, NotFound, ProblemError, RuleRefused
from zhicheng_common.refusals import Refusal, refused


class ExpertNotFound(NotFound, code="expert_not_found", title="专家不存在"): ...


class ExpertExists(Conflict, code="expert_exists", title="该身份证号码的专家已在库中"): ...


class AccountTaken(Conflict, code="account_already_linked", title="该账号已关联其他专家"): ...


class NoExpertRecord(NotFound, code="no_expert_record", title="本账号未关联专家记录"): ...


class ExpertRejected(ProblemError, status=400, code="expert_invalid", title="专家信息有误"):
    """The expert's data does not fit the catalogs (400), naming every field in ``errors[]``."""


class ImportRejected(ProblemError, status=422, code="import_rows_invalid", title="导入文件有错误行，未导入任何专家"):
    """Some rows of an import are wrong: nothing was stored; ``errors[]`` names each row and field."""


class UnsupportedImportType(
    ProblemError, status=415, code="import_type_not_supported", title="导入文件须为 CSV 或 xlsx"
): ...


class UnreadableImport(ProblemError, status=422, code="import_unreadable", title="导入文件无法读取"): ...


def refuse(problems: Sequence[Refusal]) -> ProblemError:
    """A rule refusal (409 with the rule id) when a rule refused, else a 400 naming each field."""
    ruled = [p for p in problems if p.rule is not None]
    if ruled:
        return refused(problems, error=RuleRefused, code=ruled[0].code, rule=ruled[0].rule)
    return refused(problems, error=ExpertRejected, code=ExpertRejected.code, rule=None)
