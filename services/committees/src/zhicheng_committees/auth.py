"""Who may call what in the committees service: scope aliases (jurisdiction is checked by the service)."""

from __future__ import annotations

from typing import Annotated

from zhicheng_common.auth import CurrentPrincipal, Principal, Role, require_roles

#: Any verified caller (the scope query: which committees may evaluate an applicant).
Authenticated = CurrentPrincipal
#: Organizers' offices and HR administrators file committees and draft plans.
Filer = Annotated[Principal, require_roles(Role.COMMITTEE_OFFICE, Role.HR_ADMIN, Role.PROVINCE_ADMIN)]
#: HR administrators decide filings, sanction, and approve plans (authority per level: domain.may_decide).
HrAdmin = Annotated[Principal, require_roles(Role.HR_ADMIN, Role.PROVINCE_ADMIN)]
#: Who decides filings: HR administrators, and provincial industry departments where the pack
#: names them for the level (CM-3; domain.may_decide).
Approver = Annotated[Principal, require_roles(Role.HR_ADMIN, Role.PROVINCE_ADMIN, Role.INDUSTRY_ADMIN)]
#: Roles that read and act on every committee of their region; a committee office acts only for
#: its own committees (issue 12; committee.repository.office_scoped).
REGION_WIDE_ROLES = (
    Role.HR_ADMIN,
    Role.HR_REVIEWER,
    Role.INDUSTRY_ADMIN,
    Role.PROVINCE_ADMIN,
    Role.SUPERVISOR,
    Role.AUDITOR,
)
#: The roles that read committees, filings, plans and meetings within their region.
READER_ROLES = (Role.COMMITTEE_OFFICE, *REGION_WIDE_ROLES)
#: Who reads committees, filings and plans within their region.
Reader = Annotated[Principal, require_roles(*READER_ROLES)]
#: A drawn expert, acting as themself (their own token): signs in, recuses, writes opinions, votes.
Expert = Annotated[Principal, require_roles(Role.EXPERT)]
#: A meeting's sitting, opinions and published tallies: its drawn experts and the office.
MeetingReader = Annotated[Principal, require_roles(Role.EXPERT, *READER_ROLES)]
#: Who records objections to results and requests for re-examination (NA-11, NA-12): the office and HR.
ResultsClerk = Annotated[
    Principal, require_roles(Role.COMMITTEE_OFFICE, Role.HR_ADMIN, Role.HR_REVIEWER, Role.PROVINCE_ADMIN)
]
#: The roles that read a meeting's file (CM-11, NA-10): the office, HR and auditors.
MEETING_FILE_ROLES = (Role.COMMITTEE_OFFICE, Role.HR_ADMIN, Role.HR_REVIEWER, Role.PROVINCE_ADMIN, Role.AUDITOR)
MeetingFileReader = Annotated[Principal, require_roles(*MEETING_FILE_ROLES)]
