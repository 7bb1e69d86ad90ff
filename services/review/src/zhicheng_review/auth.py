"""Who may call what in the review service: role groups and scope aliases. Routes are authenticated by default.

Most review routes take any verified caller (``Authenticated``) because the role that may act
depends on the record: the current step's role of a review (CH-4), the publicity step's role of a
publicity. The service checks those, and jurisdiction (``ensure_covers``), once it has read the
record. The aliases below are the routes whose role does not depend on a record.
"""

from __future__ import annotations

from typing import Annotated

from zhicheng_common.auth import CurrentPrincipal, Principal, Role, require_roles

#: Supervise the review: release others' claims, assign and decide re-examinations.
SUPERVISORS = (Role.SUPERVISOR, Role.HR_ADMIN, Role.PROVINCE_ADMIN)
#: Hold a review step of some chain (which step: the chain's ``role`` of the step).
REVIEWER_ROLES = (Role.UNIT_REVIEWER, Role.DEPT_REVIEWER, Role.HR_REVIEWER, Role.COMMITTEE_OFFICE)
#: Read reviews, decisions and publicities of their jurisdiction (every read is journaled).
READER_ROLES = (*REVIEWER_ROLES, *SUPERVISORS, Role.AUDITOR)

#: Any verified caller; the service checks the role the record asks for.
Authenticated = CurrentPrincipal
#: Reads the work queue of their roles' steps.
Reviewer = Annotated[Principal, require_roles(*REVIEWER_ROLES)]
#: Reads the per-step statistics.
StatisticsReader = Annotated[Principal, require_roles(*READER_ROLES)]
#: Asks for re-examination of their own declaration (NA-12).
Applicant = Annotated[Principal, require_roles(Role.APPLICANT)]
