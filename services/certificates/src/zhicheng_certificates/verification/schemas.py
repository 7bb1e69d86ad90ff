"""Request and response bodies of the public verification API (one definition, shared with the
gateway that relays the answers: ``zhicheng_common.verification``)."""

from __future__ import annotations

from zhicheng_common.verification import CheckRead, NumberQuery, TokenQuery, VerificationRead

__all__ = ["CheckRead", "NumberQuery", "TokenQuery", "VerificationRead"]
