"""Refusals of the secret ballot that are not a rule's (RFC 9457); the rules' refusals name their id."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, NotFound


class RoundNotFound(NotFound):
    code = "round_not_found"
    title = "投票轮次不存在"


class RoundKeyLost(Conflict):
    """The round's envelope key is not in this process (it restarted): the round must be voided."""

    code = "round_key_lost"
    title = "本轮投票密钥已丢失"
