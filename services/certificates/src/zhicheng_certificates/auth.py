"""Who may call what in the certificates service (scope aliases). Routes are authenticated by default.

HR staff issue by direct recognition and change a certificate's status within their region;
staff read certificates of their region (journaled); a holder reads their own (the identity bound
to their token, ``person_key``). Verification, the status lists and the public keys are public.
"""

from __future__ import annotations

from typing import Annotated

from zhicheng_common.auth import Principal, Role, require_roles

#: Recognize titles directly and revoke, suspend, reinstate certificates (HR staff of the region).
CertificateAdmin = Annotated[Principal, require_roles(Role.HR_ADMIN, Role.PROVINCE_ADMIN)]
#: Read certificates: their holder, or staff of the certificate's region.
CertificateReader = Annotated[
    Principal,
    require_roles(Role.APPLICANT, Role.HR_ADMIN, Role.PROVINCE_ADMIN, Role.HR_REVIEWER, Role.SUPERVISOR, Role.AUDITOR),
]
#: A holder reading their own certificates and who looked them up (NA-15).
Holder = Annotated[Principal, require_roles(Role.APPLICANT)]
