"""Routes of the secret ballot (NA-7): rounds, ballots (by the expert's own token), closing, the tally."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from zhicheng_committees.auth import Expert, Filer, MeetingReader
from zhicheng_committees.ballot import service
from zhicheng_committees.ballot.schemas import BallotIn, BallotReceipt, RoundIn, RoundRead, SignedTallyRead
from zhicheng_committees.deps import FORBIDDEN, RULE_REFUSED, ToolsDep
from zhicheng_committees.settings import AREA
from zhicheng_common.api import SessionDep
from zhicheng_common.problems import problem_doc

router = APIRouter(prefix=f"/{AREA}", tags=["committees"])

RoundNumber = Annotated[int, Path(ge=1, le=100, examples=[1])]
ROUND_NOT_FOUND = problem_doc("轮次不存在 (round_not_found)")


@router.post(
    "/meetings/{meeting_id}/rounds",
    status_code=201,
    summary="开始投票 (open a round; MT-3, NA-7, NA-8)",
    responses={403: FORBIDDEN, 409: RULE_REFUSED},
)
async def open_round(
    meeting_id: uuid.UUID, body: RoundIn, session: SessionDep, principal: Filer, tools: ToolsDep
) -> RoundRead:
    """Open a round on the meeting's applicants (or those named), once every review group has written."""
    return await service.open_round(session, actor=principal, meeting_id=meeting_id, body=body, tools=tools)


@router.get(
    "/meetings/{meeting_id}/rounds/{number}",
    summary="投票轮次 (a round: how many voted, never who voted what)",
    responses={403: FORBIDDEN, 404: ROUND_NOT_FOUND},
)
async def read_round(
    meeting_id: uuid.UUID, number: RoundNumber, session: SessionDep, principal: MeetingReader
) -> RoundRead:
    """The round's applicants, voters and how many have voted."""
    return await service.get_round(session, actor=principal, meeting_id=meeting_id, number=number)


@router.post(
    "/meetings/{meeting_id}/rounds/{number}/ballots",
    status_code=201,
    summary="无记名投票 (cast one's secret ballot; NA-7, NA-9)",
    responses={
        404: ROUND_NOT_FOUND,
        409: problem_doc(
            "不予接受 (already_voted, round_closed, proxy_vote, not_attending, recused NA-9, round_key_lost)"
        ),
    },
)
async def cast(
    meeting_id: uuid.UUID, number: RoundNumber, body: BallotIn, session: SessionDep, principal: Expert, tools: ToolsDep
) -> BallotReceipt:
    """Cast yes / no / abstain per applicant, once per round, as oneself; the receipt is shown only here."""
    return await service.cast(session, actor=principal, meeting_id=meeting_id, number=number, body=body, tools=tools)


@router.post(
    "/meetings/{meeting_id}/rounds/{number}/closing",
    summary="结束投票并计票 (close the round, tally and sign; NA-7)",
    responses={403: FORBIDDEN, 404: ROUND_NOT_FOUND, 409: RULE_REFUSED},
)
async def close_round(
    meeting_id: uuid.UUID, number: RoundNumber, session: SessionDep, principal: Filer, tools: ToolsDep
) -> RoundRead:
    """No vote after this; the tally is counted against the pack's threshold and signed."""
    return await service.close_round(session, actor=principal, meeting_id=meeting_id, number=number, tools=tools)


@router.post(
    "/meetings/{meeting_id}/rounds/{number}/voiding",
    summary="作废投票轮次 (void an open round whose key was lost with a restart; MT-3)",
    responses={
        403: FORBIDDEN,
        404: ROUND_NOT_FOUND,
        409: problem_doc("密钥完好或已结束 (round_key_present, round_closed)"),
    },
)
async def void_round(
    meeting_id: uuid.UUID, number: RoundNumber, session: SessionDep, principal: Filer, tools: ToolsDep
) -> RoundRead:
    """Only a round whose sealed ballots can no longer be opened; a new round may then be held."""
    return await service.void_round(session, actor=principal, meeting_id=meeting_id, number=number, tools=tools)


@router.get(
    "/meetings/{meeting_id}/rounds/{number}/tally",
    summary="计票结果 (the signed tally: counts and every ballot row, no voter)",
    responses={403: FORBIDDEN, 404: ROUND_NOT_FOUND, 409: RULE_REFUSED},
)
async def read_tally(
    meeting_id: uuid.UUID, number: RoundNumber, session: SessionDep, principal: MeetingReader
) -> SignedTallyRead:
    """Anyone holding it can recount it (docs/secret-ballot.md); an expert finds their rows from their receipt."""
    return await service.read_tally(session, actor=principal, meeting_id=meeting_id, number=number)
