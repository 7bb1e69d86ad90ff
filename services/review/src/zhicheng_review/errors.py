"""Refusals of the review service, each with its HTTP status and stable ``code`` (rendered as RFC 9457).

A rule of the domain that says no is a :class:`~zhicheng_common.refusals.Refusal` turned into a
problem by ``refused``; these classes are the refusals the service itself finds (a missing record,
a state that does not allow the action); a request that does not fit its action is a plain
``ProblemError`` (400 请求有误) with its own ``code``.
"""

from __future__ import annotations

from zhicheng_common.problems import Conflict, Forbidden, NotFound


class ReviewNotFound(NotFound, code="review_not_found", title="审核记录不存在"): ...


class DecisionNotFound(NotFound, code="decision_not_found", title="审核决定不存在"): ...


class PublicityNotFound(NotFound, code="publicity_not_found", title="公示不存在"): ...


class ObjectionNotFound(NotFound, code="objection_not_found", title="异议不存在"): ...


class ReexaminationNotFound(NotFound, code="reexamination_not_found", title="复查申请不存在"): ...


class ReviewNotWaiting(Conflict, code="review_not_waiting", title="该申报当前不在审核中"):
    """The review is not waiting at a step (passed, rejected, in publicity, returned)."""


class AlreadyClaimed(Conflict, code="already_claimed", title="该申报已被其他审核人员认领"): ...


class StepMoved(Conflict, code="step_moved", title="该申报已不在所指环节"):
    """The declaration left the step a claim or decision names (checked under the row lock)."""


class NotWaitingForPublicity(Conflict, code="not_waiting_for_publicity", title="申报不在待公示环节"): ...


class MixedPublicitySteps(Conflict, code="mixed_publicity_steps", title="一次公示只能包含同一公示环节的申报"): ...


class MixedPolicyPacks(Conflict, code="mixed_policy_packs", title="一次公示只能包含同一政策参数包的申报"): ...


class PublicityClosed(Conflict, code="publicity_closed", title="公示已结束"): ...


class ObjectionResolved(Conflict, code="objection_resolved", title="该异议已处理"): ...


class ReexaminationAlreadyDecided(Conflict, code="reexamination_decided", title="该复查申请已办结"): ...


class ReexaminationUnassigned(Conflict, code="reexamination_unassigned", title="复查申请尚未指派承办人"): ...


class OutsideBinding(Forbidden, code="outside_binding", title="不属于账号绑定的单位或评审委员会"):
    """A unit reviewer or committee office acting on a declaration of another unit or committee (issue 12)."""


class NotOwnDeclaration(Forbidden, code="not_own_declaration", title="只能对本人的申报申请复查"): ...
