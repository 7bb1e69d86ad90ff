"""Who may call what in the experts service (scope aliases). Routes are authenticated by default.

The expert pool is not public (NA-2: no public output names a committee's experts). The committee
office and HR staff keep it; HR supervisors (监督) and auditors read it; an expert reads only their
own record. Jurisdiction comes on top: staff act and read within their region (``readable_by``,
``ensure_covers``).
"""

from __future__ import annotations

from typing import Annotated

from zhicheng_common.auth import Principal, Role, require_roles

#: Enter, import, change and file experts (committee office, HR staff).
ExpertAdmin = Annotated[Principal, require_roles(Role.COMMITTEE_OFFICE, Role.HR_ADMIN, Role.PROVINCE_ADMIN)]
#: Read the pool and its filings (every read of personal data is journaled).
ExpertReader = Annotated[
    Principal, require_roles(Role.COMMITTEE_OFFICE, Role.HR_ADMIN, Role.PROVINCE_ADMIN, Role.SUPERVISOR, Role.AUDITOR)
]
#: An expert signed in with the account linked to their record.
ExpertSelf = Annotated[Principal, require_roles(Role.EXPERT)]
