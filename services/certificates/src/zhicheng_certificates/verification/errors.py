"""Errors of the verification feature (each carries its HTTP status and stable code)."""

from __future__ import annotations

from zhicheng_common.problems import ProblemError


class BadVerificationInput(ProblemError):
    """The number typed is not a certificate number (format or check character)."""

    status = 400
    code = "verification_input_invalid"
    title = "核验信息有误"
