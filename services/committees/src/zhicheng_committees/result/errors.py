"""Problems about a meeting's results (RFC 9457)."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, NotFound, ProblemError


class ResultsNotPublicized(NotFound):
    code = "results_not_publicized"
    title = "评审结果尚未公示"


class ObjectionNotFound(NotFound):
    code = "objection_not_found"
    title = "异议不存在"


class ReexaminationNotFound(NotFound):
    code = "reexamination_not_found"
    title = "复查申请不存在"


class ResultsAlreadyConfirmed(Conflict):
    code = "results_already_confirmed"
    title = "评审结果已确认"


class MeetingFileFontUnavailable(ProblemError):
    """The CJK font for the meeting file's PDF is missing: the PDF cannot be made, the rest works."""

    status = 503
    code = "meeting_file_font_unavailable"
    title = "会议档案字体不可用"
