"""Reference data for front ends (public, cacheable): the codes the API takes and their Chinese names.

Series with their title names and specialties, levels and ranks, ownership kinds, channels,
attachment kinds, the code lists refusals and review messages name (employment statuses, sanction
kinds, skill levels, continuing-education kinds, committee statuses, review steps and statuses),
the policy packs with their public values, and the review chain of a channel
and level. Every answer carries an ``ETag`` (the digest of the catalogs, or of the pack) and
``Cache-Control``; a request with a matching ``If-None-Match`` is answered 304 without a body.
An unknown code is a problem whose ``errors[0].facts.valid`` lists the valid ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from zhicheng_common.auth import PUBLIC_ROUTE
from zhicheng_common.policy import PolicyPack, PolicyPackError, PolicyParameters, available_packs, load_pack
from zhicheng_common.problems import FieldError, NotFound, ProblemError, problem_doc
from zhicheng_common.reference import CodeList as ReferenceCodeList
from zhicheng_common.reference import catalog_version, load_reference_catalog
from zhicheng_common.schemas import examples
from zhicheng_common.series import Rank, load_series_catalog

CACHE_CONTROL = "public, max-age=3600"


class CodeName(BaseModel):
    """A code the API takes, and its Chinese name for display."""

    model_config = examples({"code": "employer", "name": "用人单位"})

    code: str
    name: str


class CodeList(BaseModel):
    version: str = Field(description="digest of the catalogs; also the ETag", examples=["87676e49d49a63c7"])
    items: list[CodeName]


class TitleRef(BaseModel):
    rank: Rank
    rank_name: str
    title: str


class SeriesRef(BaseModel):
    """A series (职称系列): its title name at each rank, and its catalogued specialties."""

    model_config = examples(
        {
            "code": "engineering",
            "name": "工程技术",
            "titles": [
                {"rank": "senior", "rank_name": "正高级", "title": "正高级工程师"},
                {"rank": "intermediate", "rank_name": "中级", "title": "工程师"},
            ],
            "specialties": [{"code": "electrical", "name": "电气工程"}],
        }
    )

    code: str
    name: str
    titles: list[TitleRef]
    specialties: list[CodeName]


class SeriesList(BaseModel):
    version: str = Field(examples=["87676e49d49a63c7"])
    items: list[SeriesRef]


class LevelRef(BaseModel):
    """A level (层级) and the ranks it holds: 初级 is 员级 and 助理级."""

    model_config = examples(
        {
            "code": "junior",
            "name": "初级",
            "ranks": [{"code": "clerk", "name": "员级"}, {"code": "assistant", "name": "助理级"}],
        }
    )

    code: str
    name: str
    ranks: list[CodeName]


class LevelList(BaseModel):
    version: str = Field(examples=["87676e49d49a63c7"])
    items: list[LevelRef]


class PackSummary(BaseModel):
    id: str = Field(examples=["shanxi-2024"])
    name: str = Field(examples=["山西省2024年度职称评审政策参数"])
    jurisdiction: str = Field(examples=["140000"])
    year: int = Field(examples=[2024])
    effective_from: date
    version: str = Field(description="digest of the pack's values; also the ETag", examples=["3f9a0c51d2e4b7a8"])


class PackList(BaseModel):
    items: list[PackSummary]


class ParameterRef(BaseModel):
    value: Any = Field(examples=[3])
    rule: str = Field(examples=["CM-2"])
    also: list[str] = Field(examples=[["NA-1"]])
    description: str | None = Field(examples=["CM-2: years a committee's filing stays valid."])


class PackValues(PackSummary):
    """A policy pack's public values: every parameter with the rule it parameterizes."""

    sources: list[str] = Field(examples=[["YC24", "N40"]])
    parameters: dict[str, ParameterRef]


class ChainStepRef(BaseModel):
    key: str = Field(examples=["unit_review"])
    kind: str = Field(examples=["review"])
    role: str = Field(examples=["unit_reviewer"])
    rule: str = Field(examples=["RV-1"])
    working_days: int | None = Field(description="null for a publicity step (the pack's publicity days apply)")


class ReviewChainRef(BaseModel):
    """The review chain (审核推荐链) a declaration of this channel and level passes (CH-1, CH-2, CH-4)."""

    policy_pack: str = Field(examples=["shanxi-2024"])
    version: str = Field(examples=["3f9a0c51d2e4b7a8"])
    channel: str = Field(examples=["employer"])
    level: str = Field(examples=["senior"])
    chain: str = Field(examples=["unit"])
    rule: str = Field(examples=["CH-1"])
    publicity_working_days: int = Field(examples=[5])
    steps: list[ChainStepRef]


class ReferenceIndex(BaseModel):
    version: str = Field(examples=["87676e49d49a63c7"])
    links: dict[str, str]


def _unknown(kind: str, field: str, value: str, valid: list[str], *, status: int = 404) -> ProblemError:
    listed = "、".join(valid)
    error = FieldError(
        field=field, code=f"unknown_{kind}", message=f"未知的代码 {value}；可选：{listed}", facts={"valid": valid}
    )
    if status == 404:
        return NotFound(f"未知的代码 {value}；可选：{listed}", code=f"unknown_{kind}", errors=[error])
    return ProblemError(
        f"未知的代码 {value}；可选：{listed}",
        code=f"unknown_{kind}",
        title="代码不在参考数据中",
        status=status,
        errors=[error],
    )


def _cached(request: Request, version: str, body: BaseModel) -> Response:
    etag = f'"{version}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return JSONResponse(body.model_dump(mode="json"), headers=headers)


@cache
def pack_version(pack_id: str) -> str:
    return hashlib.sha256(load_pack(pack_id).model_dump_json().encode()).hexdigest()[:16]


def _pack(pack_id: str) -> PolicyPack:
    try:
        return load_pack(pack_id)
    except PolicyPackError:
        raise _unknown("policy_pack", "pack_id", pack_id, available_packs()) from None


def _summary(pack: PolicyPack) -> dict[str, Any]:
    return {
        "id": pack.id,
        "name": pack.name,
        "jurisdiction": pack.jurisdiction,
        "year": pack.year,
        "effective_from": pack.effective_from,
        "version": pack_version(pack.id),
    }


def _codes(mapping: dict[str, str]) -> list[CodeName]:
    return [CodeName(code=code, name=name) for code, name in mapping.items()]


def _series_ref(code: str) -> SeriesRef:
    series = load_series_catalog().get(code)
    assert series is not None
    ranks = load_reference_catalog().ranks
    return SeriesRef(
        code=series.code,
        name=series.name,
        titles=[TitleRef(rank=rank, rank_name=ranks[rank], title=title) for rank, title in series.titles.items()],
        specialties=_codes(series.specialties),
    )


NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "未变化 (the ETag given in If-None-Match is current)"}
}


# Reference data is public: a front end reads it before anyone signs in.
router = APIRouter(prefix="/reference", tags=["reference"], dependencies=[PUBLIC_ROUTE])


def _cacheable(
    path: str, summary: str, model: type[BaseModel], problems: dict[int | str, dict[str, Any]] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A GET of reference data: answered with its ETag, or 304 (documented) when the caller's copy is current."""
    return router.get(path, summary=summary, responses={**NOT_MODIFIED, **(problems or {})}, response_model=model)


@_cacheable("", "参考数据索引 (reference data; public)", ReferenceIndex)
async def index(request: Request) -> Response:
    """Public: where each list of codes is, and the catalogs' version."""
    base = "/api/v1/reference"
    links: dict[str, str] = {
        "series": f"{base}/series",
        "levels": f"{base}/levels",
        "ownership_kinds": f"{base}/ownership-kinds",
        "channels": f"{base}/channels",
        "attachment_kinds": f"{base}/attachment-kinds",
        **{listed.field: f"{base}/{listed.path}" for listed in LISTED},
        "policy_packs": f"{base}/policy-packs",
    }
    return _cached(request, catalog_version(), ReferenceIndex(version=catalog_version(), links=links))


@_cacheable("/series", "职称系列 (series, title names, specialties; public)", SeriesList)
async def series_list(request: Request) -> Response:
    """Public: every series with its title name at each rank and its catalogued specialties."""
    items = [_series_ref(code) for code in load_series_catalog().codes()]
    return _cached(request, catalog_version(), SeriesList(version=catalog_version(), items=items))


@_cacheable(
    "/series/{code}",
    "一个职称系列 (one series; public)",
    SeriesRef,
    {404: problem_doc("未知的系列代码，errors[0].facts.valid 列出可选代码 (unknown_series)")},
)
async def series_one(request: Request, code: Annotated[str, Path(examples=["engineering"])]) -> Response:
    """Public: one series; an unknown code is a 404 listing the valid ones."""
    if load_series_catalog().get(code) is None:
        raise _unknown("series", "code", code, load_series_catalog().codes())
    return _cached(request, catalog_version(), _series_ref(code))


@_cacheable("/levels", "职称层级与级别 (levels and ranks; public)", LevelList)
async def levels(request: Request) -> Response:
    """Public: the four levels, each with its ranks (初级 = 员级 + 助理级)."""
    catalog = load_reference_catalog()
    items = [
        LevelRef(code=code, name=entry.name, ranks=[CodeName(code=r.value, name=catalog.ranks[r]) for r in entry.ranks])
        for code, entry in catalog.levels.items()
    ]
    return _cached(request, catalog_version(), LevelList(version=catalog_version(), items=items))


def _code_list_route(path: str, name: str, summary: str, doc: str, codes: Callable[[], dict[str, str]]) -> None:
    """Registers one public list of codes; the three lists differ only in their catalog and words."""

    async def endpoint(request: Request) -> Response:
        body = CodeList(version=catalog_version(), items=_codes(codes()))
        return _cached(request, catalog_version(), body)

    endpoint.__name__ = name  # the route's name, and so its operationId
    endpoint.__doc__ = doc
    _cacheable(path, summary, CodeList)(endpoint)


_code_list_route(
    "/ownership-kinds",
    "ownership_kinds",
    "单位性质 (ownership kinds; public)",
    "Public: the ownership kinds of an employer or applicant (EL-7, CM-4).",
    lambda: load_reference_catalog().ownership_kinds,
)
_code_list_route(
    "/channels",
    "channels",
    "申报渠道 (channels; public)",
    "Public: the channels a declaration comes through (CH-1..CH-3).",
    lambda: load_reference_catalog().channels,
)
_code_list_route(
    "/attachment-kinds",
    "attachment_kinds",
    "附件类别 (attachment kinds; public)",
    "Public: the kinds of attachment; a pack's ``not_asked_again_fields`` are never asked for (NA-5).",
    lambda: load_reference_catalog().attachment_kinds,
)


@dataclass(frozen=True)
class _Listed:
    """A code list of the reference catalog served as a route of its own (code → Chinese name)."""

    path: str
    field: ReferenceCodeList
    summary: str
    description: str
    example: tuple[str, str]


# The code lists refusal facts and review messages use (issue 13): served like ownership kinds and
# channels, so a front end shows the same names the messages do.
LISTED = (
    _Listed(
        "employment-statuses",
        "employment_statuses",
        "在职状态 (employment statuses; public)",
        "The employment statuses a declaration states (EL-1, EL-17, EL-18, NA-3).",
        ("in_service", "在职在岗"),
    ),
    _Listed(
        "sanction-kinds",
        "sanction_kinds",
        "处分种类 (sanction kinds; public)",
        "The kinds of disciplinary sanction of public-institution staff (NA-3).",
        ("demerit", "记过"),
    ),
    _Listed(
        "skill-levels",
        "skill_levels",
        "职业技能等级 (skill levels; public)",
        "The vocational skill levels that open a skills-to-title route (EL-12, NA-17).",
        ("technician", "技师"),
    ),
    _Listed(
        "continuing-education-kinds",
        "continuing_education_kinds",
        "继续教育科目 (continuing-education kinds; public)",
        "The kinds of continuing-education hours counted by ED-1.",
        ("public", "公需科目"),
    ),
    _Listed(
        "committee-statuses",
        "committee_statuses",
        "评委会状态 (committee statuses; public)",
        "The states of an evaluation committee (CM-2, CM-10, NA-13).",
        ("active", "有效"),
    ),
    _Listed(
        "review-steps",
        "review_steps",
        "审核环节 (review steps; public)",
        "The steps of the packs' review chains, by the key a review and its claims name (RV-1, RV-6).",
        ("unit_review", "用人单位审核"),
    ),
    _Listed(
        "review-statuses",
        "review_statuses",
        "审核状态 (review statuses; public)",
        "The states of a declaration in review (RV-3, RV-6, IN-1).",
        ("in_publicity", "公示中"),
    ),
)


def _listed_route(listed: _Listed) -> None:
    """Registers one of the LISTED code lists, with its own example and operationId."""
    code, name = listed.example
    example = {"version": "87676e49d49a63c7", "items": [{"code": code, "name": name}]}

    async def endpoint(request: Request) -> Response:
        names: dict[str, str] = getattr(load_reference_catalog(), listed.field)
        return _cached(request, catalog_version(), CodeList(version=catalog_version(), items=_codes(names)))

    endpoint.__doc__ = f"Public: {listed.description}"
    router.add_api_route(
        f"/{listed.path}",
        endpoint,
        methods=["GET"],
        summary=listed.summary,
        name=listed.field,
        operation_id=f"reference_{listed.field}",
        responses={**NOT_MODIFIED, 200: {"content": {"application/json": {"example": example}}}},
        response_model=CodeList,
    )


for _listed in LISTED:
    _listed_route(_listed)


@router.get("/policy-packs", summary="政策包 (policy packs; public)")
async def policy_packs() -> PackList:
    """Public: the shipped policy packs, each with the version of its values."""
    return PackList(items=[PackSummary(**_summary(load_pack(pack_id))) for pack_id in available_packs()])


@_cacheable(
    "/policy-packs/{pack_id}",
    "政策包参数 (a pack's public values; public)",
    PackValues,
    {404: problem_doc("未知的政策包，errors[0].facts.valid 列出可选编号 (unknown_policy_pack)")},
)
async def policy_pack(request: Request, pack_id: Annotated[str, Path(examples=["shanxi-2024"])]) -> Response:
    """Public: every parameter of the pack with its rule id and meaning; the ETag changes with the values."""
    pack = _pack(pack_id)
    fields = PolicyParameters.model_fields
    parameters = {
        name: ParameterRef(
            value=parameter["value"],
            rule=parameter["rule"],
            also=list(parameter.get("also", ())),
            description=fields[name].description,
        )
        for name, parameter in pack.parameters.model_dump(mode="json").items()
    }
    body = PackValues(**_summary(pack), sources=list(pack.sources), parameters=parameters)
    return _cached(request, pack_version(pack.id), body)


@_cacheable(
    "/policy-packs/{pack_id}/review-chain",
    "审核推荐链 (the review chain of a channel and level; public)",
    ReviewChainRef,
    {
        404: problem_doc("未知的政策包 (unknown_policy_pack)"),
        422: problem_doc("未知的渠道或层级，errors[0].facts.valid 列出可选代码 (unknown_channel, unknown_level)"),
    },
)
async def review_chain(
    request: Request,
    pack_id: Annotated[str, Path(examples=["shanxi-2024"])],
    channel: Annotated[str, Query(examples=["employer"])],
    level: Annotated[str, Query(examples=["senior"])],
) -> Response:
    """Public: the steps a declaration of this channel and level passes before the committee (CH-1, CH-2, CH-4)."""
    pack = _pack(pack_id)
    catalog = load_reference_catalog()
    if channel not in catalog.channels:
        raise _unknown("channel", "channel", channel, list(catalog.channels), status=422)
    if level not in catalog.levels:
        raise _unknown("level", "level", level, list(catalog.levels), status=422)
    chains = pack.parameters.review_chains.value
    chosen = next(
        (
            chain
            for wanted in (channel, chains.default_channel)
            for chain in chains.chains
            if wanted in chain.channels and level in chain.levels
        ),
        None,
    )
    if chosen is None:  # a pack without a chain for the level: nothing to show, as review would refuse (CH-1)
        raise NotFound(f"政策包 {pack.id} 没有 {level} 层级的审核链", code="no_review_chain")
    body = ReviewChainRef(
        policy_pack=pack.id,
        version=pack_version(pack.id),
        channel=channel,
        level=level,
        chain=chosen.id,
        rule=chosen.rule,
        publicity_working_days=pack.parameters.publicity_working_days.value,
        steps=[
            ChainStepRef(key=s.key, kind=s.kind, role=s.role, rule=s.rule, working_days=s.working_days)
            for s in chosen.steps
        ],
    )
    return _cached(request, pack_version(pack.id), body)
