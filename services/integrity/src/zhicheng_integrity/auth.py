"""Who may call what in the integrity service (scope aliases). Routes are authenticated by default.

Jurisdiction comes on top of the roles: staff act and read only on records of their region
(repository ``readable_by``, service ``ensure_covers``). A subject reads and appeals only their own
records: the subject is the identity bound to the caller's token (``zc_person_key``, or
``zc_unit_key`` for a unit account), never the number the caller types.
"""

from __future__ import annotations

from typing import Annotated

from zhicheng_common.auth import Principal, Role, require_roles

#: Enter records, decide proposed ones, decide appeals (within their region).
RecordAdmin = Annotated[Principal, require_roles(Role.HR_ADMIN, Role.PROVINCE_ADMIN)]
#: Read records of their region (every read is journaled).
RecordReader = Annotated[
    Principal, require_roles(Role.HR_ADMIN, Role.PROVINCE_ADMIN, Role.HR_REVIEWER, Role.SUPERVISOR, Role.AUDITOR)
]
#: A subject reading their own records: a person (applicant) or a unit (unit_reviewer).
SubjectCaller = Annotated[Principal, require_roles(Role.APPLICANT, Role.UNIT_REVIEWER)]
#: File an appeal: the subject themself, or HR staff on the subject's behalf.
Appellant = Annotated[Principal, require_roles(Role.APPLICANT, Role.UNIT_REVIEWER, Role.HR_ADMIN, Role.PROVINCE_ADMIN)]

STAFF_APPELLANT_ROLES = (Role.HR_ADMIN, Role.PROVINCE_ADMIN)
