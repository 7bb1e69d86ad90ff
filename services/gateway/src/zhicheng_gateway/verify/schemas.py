"""Bodies of the gateway's verification API: the certificates service's own, relayed as they are
(one definition for both, in ``zhicheng_common.verification``)."""

from __future__ import annotations

from zhicheng_common.verification import CheckRead, NumberQuery, TokenQuery, VerificationRead

__all__ = ["CheckRead", "NumberQuery", "TokenQuery", "VerificationRead"]
