"""Route of the holder's view (NA-15): an applicant's own declarations, certificates and their verifiers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from zhicheng_common.auth import Principal, Role, require_roles
from zhicheng_common.db import Database
from zhicheng_gateway.holder import service
from zhicheng_gateway.holder.schemas import HolderView
from zhicheng_gateway.proxy import Upstreams

#: The person a record is about: an applicant, by the identity bound to their token.
Holder = Annotated[Principal, require_roles(Role.APPLICANT)]

router = APIRouter(prefix="/holder", tags=["holder"])


@router.get("/overview", summary="本人申报、证书及核验记录 (applicant: declarations, certificates, verifiers; NA-15)")
async def overview(request: Request, principal: Holder) -> HolderView:
    """My declarations and their stage, my certificates, the units that verified them, anonymous checks per day."""
    upstreams: Upstreams = request.app.state.upstreams
    database: Database = request.app.state.database
    return await service.holder_view(
        upstreams=upstreams, database=database, authorization=request.headers["authorization"]
    )
