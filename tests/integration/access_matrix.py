"""Who may call each route of the system, written down by hand: the authorization matrix's expectations.

``test_authorization_matrix`` reads the routes from the running gateway's OpenAPI and checks each
against this table, so a new route fails that test until someone adds it here, deciding who may
call it. Values:

* ``PUBLIC``: no token needed (each such route also carries ``PUBLIC_ROUTE`` or is under the
  gateway's public prefixes);
* ``SIGNED_IN``: any signed-in role passes the route's role gate; the handler then decides per
  record (whose declaration, which review step, which committee), so a role may still be refused
  with 403 or 404 there. The matrix checks that none of them is refused at the gate;
* a set of roles: exactly these pass the gate, every other role gets 403 ``role_required``.

The role groups are named after the dependency aliases of the services' ``auth.py`` modules.
"""

from __future__ import annotations

from zhicheng_common.auth import Role

R = Role

PUBLIC: frozenset[Role] = frozenset({"public"})  # type: ignore[arg-type]  # a marker, compared by identity
SIGNED_IN: frozenset[Role] = frozenset(Role)
#: Called with an agency's API key (docs/api-keys.md), never a person's token: every role's token gets 401.
KEY_HOLDER: frozenset[Role] = frozenset({"api_key"})  # type: ignore[arg-type]  # a marker, compared by identity

AUDITORS = frozenset({R.PROVINCE_ADMIN, R.AUDITOR})  # journals and their seal keys
HR_ADMINS = frozenset({R.HR_ADMIN, R.PROVINCE_ADMIN})
USER_READERS = frozenset({R.HR_ADMIN, R.PROVINCE_ADMIN, R.AUDITOR})
PLATFORM = frozenset({R.PROVINCE_ADMIN})  # the controlled clock
FILERS = frozenset({R.COMMITTEE_OFFICE, R.HR_ADMIN, R.PROVINCE_ADMIN})
EXPERT_READERS = frozenset({R.COMMITTEE_OFFICE, R.SUPERVISOR, R.HR_ADMIN, R.PROVINCE_ADMIN, R.AUDITOR})
COMMITTEE_READERS = frozenset(
    {R.HR_REVIEWER, R.COMMITTEE_OFFICE, R.SUPERVISOR, R.HR_ADMIN, R.INDUSTRY_ADMIN, R.PROVINCE_ADMIN, R.AUDITOR}
)
APPROVERS = frozenset({R.HR_ADMIN, R.INDUSTRY_ADMIN, R.PROVINCE_ADMIN})  # CM-3: industry departments too
RESULTS_CLERKS = frozenset({R.COMMITTEE_OFFICE, R.HR_ADMIN, R.HR_REVIEWER, R.PROVINCE_ADMIN})  # NA-11, NA-12
MEETING_FILE_READERS = frozenset({R.COMMITTEE_OFFICE, R.HR_ADMIN, R.HR_REVIEWER, R.PROVINCE_ADMIN, R.AUDITOR})  # CM-11
RECORD_READERS = frozenset({R.HR_REVIEWER, R.SUPERVISOR, R.HR_ADMIN, R.PROVINCE_ADMIN, R.AUDITOR})
REVIEWERS = frozenset({R.UNIT_REVIEWER, R.DEPT_REVIEWER, R.HR_REVIEWER, R.COMMITTEE_OFFICE})
STATISTICS_READERS = REVIEWERS | {R.SUPERVISOR, R.HR_ADMIN, R.PROVINCE_ADMIN, R.AUDITOR}
DA1_READERS = frozenset({R.HR_REVIEWER, R.HR_ADMIN, R.PROVINCE_ADMIN, R.AUDITOR})
SUBJECTS = frozenset({R.APPLICANT, R.UNIT_REVIEWER})  # the person or unit a record is about
APPELLANTS = SUBJECTS | HR_ADMINS
APPLICANT = frozenset({R.APPLICANT})
EXPERT = frozenset({R.EXPERT})
# A certificate: its holder, or staff of its region (docs/certificates.md §12).
CERTIFICATE_READERS = frozenset({R.APPLICANT, R.HR_ADMIN, R.PROVINCE_ADMIN, R.HR_REVIEWER, R.SUPERVISOR, R.AUDITOR})

ACCESS: dict[str, frozenset[Role]] = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "POST /api/v1/auth/token": PUBLIC,
    "GET /api/v1/auth/jwks": PUBLIC,
    "GET /api/v1/users": USER_READERS,
    "POST /api/v1/users": HR_ADMINS,
    "GET /api/v1/users/me": SIGNED_IN,
    "PUT /api/v1/users/{user_id}/bindings": HR_ADMINS,
    "GET /api/v1/users/{user_id}": USER_READERS,
    "GET /api/v1/system/clock": PLATFORM,
    "PUT /api/v1/system/clock": PLATFORM,
    "GET /api/v1/healthz": PUBLIC,
    # API keys and inter-agency feeds (issue 17; docs/api-keys.md, docs/feeds.md).
    "POST /api/v1/api-keys": HR_ADMINS,
    "GET /api/v1/api-keys": HR_ADMINS,
    "GET /api/v1/api-keys/me": KEY_HOLDER,
    "GET /api/v1/api-keys/{key_id}": HR_ADMINS,
    "POST /api/v1/api-keys/{key_id}/rotate": HR_ADMINS,
    "POST /api/v1/api-keys/{key_id}/revoke": HR_ADMINS,
    "GET /api/v1/api-keys/{key_id}/usage": HR_ADMINS,
    "POST /api/v1/feeds/subscriptions": HR_ADMINS,
    "GET /api/v1/feeds/subscriptions": HR_ADMINS,
    "GET /api/v1/feeds/subscriptions/{subscription_id}": HR_ADMINS,
    "POST /api/v1/feeds/subscriptions/{subscription_id}/replay": HR_ADMINS,
    "GET /api/v1/feeds/subscriptions/{subscription_id}/attempts": HR_ADMINS,
    "GET /api/v1/feeds/{subscription_id}/events": KEY_HOLDER,
    "GET /api/v1/feeds/keys": PUBLIC,
    "GET /api/v1/feeds/catalog": PUBLIC,
    # Public verification through the gateway (issue 17; docs/verify.md): anyone; an API key with
    # scope `verify` or a unit's token makes the verifier identified (recorded for the holder).
    "POST /api/v1/verify/by-number": PUBLIC,
    "POST /api/v1/verify/by-token": PUBLIC,
    # The holder's view (NA-15): an applicant's own declarations, certificates and their verifiers.
    "GET /api/v1/holder/overview": APPLICANT,
    # The province read model: queries, statistics and exports (issue 17; docs/readmodel.md).
    "GET /api/v1/province/certificates": RECORD_READERS,
    "GET /api/v1/province/agency/certificates": KEY_HOLDER,
    "GET /api/v1/province/declarations": RECORD_READERS,
    "GET /api/v1/province/committees": RECORD_READERS,
    "GET /api/v1/province/meetings": RECORD_READERS,
    "GET /api/v1/province/integrity-records": RECORD_READERS,
    "GET /api/v1/province/statistics": RECORD_READERS,
    "GET /api/v1/province/statistics.xlsx": RECORD_READERS,
    "GET /api/v1/province/exports/da1": RECORD_READERS,
    "GET /api/v1/province/exports/da1.xlsx": RECORD_READERS,
    "GET /api/v1/province/exports/passed.xlsx": RECORD_READERS,
    "GET /api/v1/province/exports/annual-report": RECORD_READERS,
    # The same statistics and exports for an agency's API key with scope `query` (its region).
    "GET /api/v1/province/agency/statistics": KEY_HOLDER,
    "GET /api/v1/province/agency/statistics.xlsx": KEY_HOLDER,
    "GET /api/v1/province/agency/exports/da1": KEY_HOLDER,
    "GET /api/v1/province/agency/exports/da1.xlsx": KEY_HOLDER,
    "GET /api/v1/province/agency/exports/passed.xlsx": KEY_HOLDER,
    "GET /api/v1/province/agency/exports/annual-report": KEY_HOLDER,
    "GET /api/v1/gateway/journal": AUDITORS,
    "GET /api/v1/gateway/journal/seal-key": AUDITORS,
    "GET /api/v1/gateway/journal/{entry_id}": AUDITORS,
    "GET /api/v1/reference": PUBLIC,
    "GET /api/v1/reference/series": PUBLIC,
    "GET /api/v1/reference/series/{code}": PUBLIC,
    "GET /api/v1/reference/levels": PUBLIC,
    "GET /api/v1/reference/ownership-kinds": PUBLIC,
    "GET /api/v1/reference/channels": PUBLIC,
    "GET /api/v1/reference/attachment-kinds": PUBLIC,
    "GET /api/v1/reference/employment-statuses": PUBLIC,
    "GET /api/v1/reference/sanction-kinds": PUBLIC,
    "GET /api/v1/reference/skill-levels": PUBLIC,
    "GET /api/v1/reference/continuing-education-kinds": PUBLIC,
    "GET /api/v1/reference/committee-statuses": PUBLIC,
    "GET /api/v1/reference/review-steps": PUBLIC,
    "GET /api/v1/reference/review-statuses": PUBLIC,
    "GET /api/v1/reference/policy-packs": PUBLIC,
    "GET /api/v1/reference/policy-packs/{pack_id}": PUBLIC,
    "GET /api/v1/reference/policy-packs/{pack_id}/review-chain": PUBLIC,
    "GET /.well-known/openid-configuration": PUBLIC,
    "GET /api/v1/declarations/journal": AUDITORS,
    "GET /api/v1/declarations/journal/seal-key": AUDITORS,
    "GET /api/v1/declarations/journal/{entry_id}": AUDITORS,
    "GET /api/v1/declarations/windows": SIGNED_IN,
    "GET /api/v1/declarations/export/da1": DA1_READERS,
    "GET /api/v1/declarations": SIGNED_IN,
    "POST /api/v1/declarations": SIGNED_IN,
    "GET /api/v1/declarations/{declaration_id}": SIGNED_IN,
    "PUT /api/v1/declarations/{declaration_id}": SIGNED_IN,
    "POST /api/v1/declarations/{declaration_id}/submit": SIGNED_IN,
    "POST /api/v1/declarations/{declaration_id}/check": SIGNED_IN,
    "POST /api/v1/declarations/{declaration_id}/resubmit": SIGNED_IN,
    "POST /api/v1/declarations/{declaration_id}/withdraw": SIGNED_IN,
    "GET /api/v1/declarations/{declaration_id}/history": SIGNED_IN,
    "GET /api/v1/declarations/{declaration_id}/attachments": SIGNED_IN,
    "POST /api/v1/declarations/{declaration_id}/attachments": SIGNED_IN,
    "GET /api/v1/declarations/{declaration_id}/attachments/{attachment_id}": SIGNED_IN,
    "GET /api/v1/reviews/public/publicities/{token}": PUBLIC,
    "POST /api/v1/reviews/public/publicities/{token}/objections": PUBLIC,
    "GET /api/v1/reviews/public/keys": PUBLIC,
    "GET /api/v1/reviews/journal": AUDITORS,
    "GET /api/v1/reviews/journal/seal-key": AUDITORS,
    "GET /api/v1/reviews/journal/{entry_id}": AUDITORS,
    "GET /api/v1/reviews/queue": REVIEWERS,
    "GET /api/v1/reviews/statistics": STATISTICS_READERS,
    "GET /api/v1/reviews/declarations/{declaration_id}": SIGNED_IN,
    "GET /api/v1/reviews/{review_id}": SIGNED_IN,
    "POST /api/v1/reviews/{review_id}/claim": SIGNED_IN,
    "DELETE /api/v1/reviews/{review_id}/claim": SIGNED_IN,
    "GET /api/v1/reviews/{review_id}/decisions": SIGNED_IN,
    "POST /api/v1/reviews/{review_id}/decisions": SIGNED_IN,
    "GET /api/v1/reviews/decisions/{decision_id}/verification": SIGNED_IN,
    "POST /api/v1/reviews/publicities": SIGNED_IN,
    "GET /api/v1/reviews/publicities/{publicity_id}": SIGNED_IN,
    "POST /api/v1/reviews/publicities/{publicity_id}/close": SIGNED_IN,
    "GET /api/v1/reviews/publicities/{publicity_id}/objections": SIGNED_IN,
    "PATCH /api/v1/reviews/objections/{objection_id}": SIGNED_IN,
    "POST /api/v1/reviews/reexaminations": APPLICANT,
    "GET /api/v1/reviews/reexaminations/{reexamination_id}": SIGNED_IN,
    "PATCH /api/v1/reviews/reexaminations/{reexamination_id}": SIGNED_IN,
    "GET /api/v1/experts/experts": EXPERT_READERS,
    "POST /api/v1/experts/experts": FILERS,
    "POST /api/v1/experts/experts/imports": FILERS,
    "GET /api/v1/experts/experts/export": EXPERT_READERS,
    "GET /api/v1/experts/experts/me": EXPERT,
    "GET /api/v1/experts/experts/{expert_id}": EXPERT_READERS,
    "PATCH /api/v1/experts/experts/{expert_id}": FILERS,
    "PUT /api/v1/experts/experts/{expert_id}/status": FILERS,
    "PUT /api/v1/experts/experts/{expert_id}/account": FILERS,
    "POST /api/v1/experts/pools": FILERS,
    "GET /api/v1/experts/pools/committees/{committee_id}": EXPERT_READERS,
    "GET /api/v1/experts/pools/{filing_id}": EXPERT_READERS,
    "POST /api/v1/experts/committees/{committee_id}/meetings/{meeting_id}/draws": SIGNED_IN,
    "GET /api/v1/experts/meetings/{meeting_id}/draws": SIGNED_IN,
    "GET /api/v1/experts/draws/{draw_id}/commitment": SIGNED_IN,
    "GET /api/v1/experts/draws/{draw_id}": SIGNED_IN,
    "POST /api/v1/experts/draws/{draw_id}/seed": SIGNED_IN,
    "GET /api/v1/experts/draws/{draw_id}/signing-payload": SIGNED_IN,
    "POST /api/v1/experts/draws/{draw_id}/signatures": SIGNED_IN,
    "POST /api/v1/experts/draws/{draw_id}/replacements": SIGNED_IN,
    "GET /api/v1/experts/draws/{draw_id}/evidence": SIGNED_IN,
    "GET /api/v1/experts/journal": AUDITORS,
    "GET /api/v1/experts/journal/seal-key": AUDITORS,
    "GET /api/v1/experts/journal/{entry_id}": AUDITORS,
    "GET /api/v1/committees/journal": AUDITORS,
    "GET /api/v1/committees/journal/seal-key": AUDITORS,
    "GET /api/v1/committees/journal/{entry_id}": AUDITORS,
    "GET /api/v1/committees/filings": COMMITTEE_READERS,
    "POST /api/v1/committees/filings": FILERS,
    "GET /api/v1/committees/filings/{filing_id}": COMMITTEE_READERS,
    "POST /api/v1/committees/filings/{filing_id}/decision": APPROVERS,
    "GET /api/v1/committees": COMMITTEE_READERS,
    "GET /api/v1/committees/scope": SIGNED_IN,
    "GET /api/v1/committees/meetings/overdue-post-filings": COMMITTEE_READERS,
    "GET /api/v1/committees/meetings/{meeting_id}": COMMITTEE_READERS,
    "POST /api/v1/committees/meetings/{meeting_id}/pre-meeting-filing": FILERS,
    "POST /api/v1/committees/meetings/{meeting_id}/post-meeting-filing": FILERS,
    "POST /api/v1/committees/meetings/{meeting_id}/results-entry": FILERS,
    # Issue 15: a meeting's sitting and secret ballot (the expert acts with their own token).
    "GET /api/v1/committees/meetings/{meeting_id}/sitting": COMMITTEE_READERS | EXPERT,
    "PUT /api/v1/committees/meetings/{meeting_id}/arrangement": FILERS,
    "POST /api/v1/committees/meetings/{meeting_id}/sign-in": EXPERT,
    "POST /api/v1/committees/meetings/{meeting_id}/opening": FILERS,
    "POST /api/v1/committees/meetings/{meeting_id}/closing": FILERS,
    "PUT /api/v1/committees/meetings/{meeting_id}/groups": FILERS,
    "POST /api/v1/committees/meetings/{meeting_id}/recusals": EXPERT,
    "POST /api/v1/committees/meetings/{meeting_id}/opinions": EXPERT,
    "GET /api/v1/committees/meetings/{meeting_id}/opinions/{declaration_id}": COMMITTEE_READERS | EXPERT,
    "POST /api/v1/committees/meetings/{meeting_id}/rounds": FILERS,
    "GET /api/v1/committees/meetings/{meeting_id}/rounds/{number}": COMMITTEE_READERS | EXPERT,
    "POST /api/v1/committees/meetings/{meeting_id}/rounds/{number}/ballots": EXPERT,
    "POST /api/v1/committees/meetings/{meeting_id}/rounds/{number}/closing": FILERS,
    "POST /api/v1/committees/meetings/{meeting_id}/rounds/{number}/voiding": FILERS,
    "GET /api/v1/committees/meetings/{meeting_id}/rounds/{number}/tally": COMMITTEE_READERS | EXPERT,
    # Results: publicity, objections, confirmation, re-examination, the meeting file (issue 15; docs/results.md).
    "GET /api/v1/committees/pass-rates": COMMITTEE_READERS,
    "GET /api/v1/committees/meetings/{meeting_id}/results": COMMITTEE_READERS,
    "POST /api/v1/committees/meetings/{meeting_id}/results/publicity": FILERS,
    "POST /api/v1/committees/meetings/{meeting_id}/results/objections": FILERS,
    "PATCH /api/v1/committees/meetings/{meeting_id}/results/objections/{objection_id}": FILERS,
    "POST /api/v1/committees/meetings/{meeting_id}/results/confirmation": APPROVERS,
    "POST /api/v1/committees/meetings/{meeting_id}/results/reexaminations": RESULTS_CLERKS,
    # The decision on a re-examination: the handler checks who decides it (NA-12).
    "PATCH /api/v1/committees/meetings/{meeting_id}/results/reexaminations/{reexamination_id}": SIGNED_IN,
    "GET /api/v1/committees/meetings/{meeting_id}/file.{fmt}": MEETING_FILE_READERS,
    "GET /api/v1/committees/plans/{plan_id}": COMMITTEE_READERS,
    "PUT /api/v1/committees/plans/{plan_id}": FILERS,
    "POST /api/v1/committees/plans/{plan_id}/publication": HR_ADMINS,
    "GET /api/v1/committees/{committee_id}": COMMITTEE_READERS,
    "GET /api/v1/committees/{committee_id}/filings": COMMITTEE_READERS,
    "POST /api/v1/committees/{committee_id}/filings": FILERS,
    "GET /api/v1/committees/{committee_id}/sanctions": COMMITTEE_READERS,
    "POST /api/v1/committees/{committee_id}/sanctions": HR_ADMINS,
    "POST /api/v1/committees/{committee_id}/resumption": HR_ADMINS,
    "GET /api/v1/committees/{committee_id}/plans": COMMITTEE_READERS,
    "POST /api/v1/committees/{committee_id}/plans": FILERS,
    "GET /api/v1/integrity/records": RECORD_READERS,
    "POST /api/v1/integrity/records": HR_ADMINS,
    "POST /api/v1/integrity/records/search": RECORD_READERS,
    "POST /api/v1/integrity/my-records": SUBJECTS,
    "GET /api/v1/integrity/records/{record_id}": RECORD_READERS,
    "POST /api/v1/integrity/records/{record_id}/decision": HR_ADMINS,
    "POST /api/v1/integrity/records/{record_id}/appeals": APPELLANTS,
    "POST /api/v1/integrity/records/{record_id}/appeals/{appeal_id}/decision": HR_ADMINS,
    "GET /api/v1/integrity/journal": AUDITORS,
    "POST /api/v1/certificates/recognitions": HR_ADMINS,
    "GET /api/v1/certificates/mine": APPLICANT,
    "GET /api/v1/certificates/certificates/{number}": CERTIFICATE_READERS,
    "GET /api/v1/certificates/certificates/{number}/document": CERTIFICATE_READERS,
    "GET /api/v1/certificates/certificates/{number}/pdf": CERTIFICATE_READERS,
    "POST /api/v1/certificates/certificates/{number}/revocation": HR_ADMINS,
    "POST /api/v1/certificates/certificates/{number}/suspension": HR_ADMINS,
    "POST /api/v1/certificates/certificates/{number}/reinstatement": HR_ADMINS,
    "POST /api/v1/certificates/public/verifications/by-number": PUBLIC,
    "POST /api/v1/certificates/public/verifications/by-token": PUBLIC,
    "GET /api/v1/certificates/public/status/{purpose}": PUBLIC,
    "GET /api/v1/certificates/public/keys": PUBLIC,
    "GET /api/v1/certificates/public/keys/jwks.json": PUBLIC,
    "GET /api/v1/certificates/public/keys/sm2.json": PUBLIC,
    "GET /api/v1/certificates/public/did.json": PUBLIC,
    "GET /api/v1/integrity/journal/seal-key": AUDITORS,
    "GET /api/v1/integrity/journal/{entry_id}": AUDITORS,
    "GET /api/v1/certificates/journal": AUDITORS,
    "GET /api/v1/certificates/journal/seal-key": AUDITORS,
    "GET /api/v1/certificates/journal/{entry_id}": AUDITORS,
}

#: Write routes on a region-bearing record whose record the matrix does not build, and why. Every
#: other write route whose first path parameter names a record is called from inside and outside
#: the record's jurisdiction by ``test_writes_on_a_record_are_refused_outside_its_region_and_change_nothing``,
#: which fails, naming the route, for one it cannot call and that is not listed here.
WRITES_NOT_CALLED: dict[str, str] = {
    # The matrix files a pool of one expert: a draw is refused (409 too_few_members) before one exists.
    "POST /api/v1/experts/draws/{draw_id}/seed": "a draw needs a pool of a whole panel's experts",
    "POST /api/v1/experts/draws/{draw_id}/signatures": "a draw needs a pool of a whole panel's experts",
    "POST /api/v1/experts/draws/{draw_id}/replacements": "a draw needs a pool of a whole panel's experts",
    "POST /api/v1/reviews/publicities/{publicity_id}/close": "a publicity needs a declaration at a publicity step",
    "PATCH /api/v1/reviews/objections/{objection_id}": "an objection needs an open publicity",
    "PATCH /api/v1/reviews/reexaminations/{reexamination_id}": "a re-examination needs a rejected declaration",
}
