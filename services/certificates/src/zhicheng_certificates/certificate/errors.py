"""Errors of the certificate feature (each carries its HTTP status and stable code)."""

from __future__ import annotations

from zhicheng_common.problems import NotFound, ProblemError


class FontUnavailable(ProblemError):
    """The CJK TrueType font for the PDF is missing or unreadable: the PDF cannot be made, the rest works."""

    status = 503
    code = "certificate_font_unavailable"
    title = "证书PDF暂不可用"


class CertificateInvalid(ProblemError):
    """The content cannot go into a certificate (an empty field, an invalid resident ID …)."""

    status = 400
    code = "certificate_content_invalid"
    title = "证书内容无效"


class CertificateNotFound(NotFound):
    code = "certificate_not_found"
