"""Routes of the certificate feature: direct recognition, the holder's and staff's reads, document and PDF."""

from __future__ import annotations

from fastapi import APIRouter, Response

from zhicheng_certificates.auth import CertificateAdmin, CertificateReader, Holder
from zhicheng_certificates.certificate import service
from zhicheng_certificates.certificate.domain import verification_url
from zhicheng_certificates.certificate.models import Certificate, StatusChange
from zhicheng_certificates.certificate.repository import CertificateRepository
from zhicheng_certificates.certificate.schemas import (
    CertificateRead,
    MyCertificate,
    RecognitionCreate,
    SignedDocument,
    StatusChangeRead,
    VerifierLookupRead,
)
from zhicheng_certificates.deps import CertificatesContext, ContextDep, NowDep
from zhicheng_certificates.settings import AREA
from zhicheng_certificates.verification.repository import VerificationRepository
from zhicheng_common.api import SessionDep
from zhicheng_common.journaling import journal_read
from zhicheng_common.problems import problem_docs

router = APIRouter(prefix=f"/{AREA}", tags=["certificates"])


def to_read(
    context: CertificatesContext, row: Certificate, history: list[StatusChange] | None = None
) -> CertificateRead:
    return CertificateRead(
        number=row.number,
        licence_id=row.licence_id,
        holder_name=context.cipher.decrypt(row.holder_name_sealed),
        resident_id_masked=row.resident_id_masked,
        series=row.series,
        specialty=row.specialty,
        level=row.level,
        title_name=row.title_name,
        committee_id=row.committee_id,
        committee_name=row.committee_name,
        obtained_on=row.obtained_on,
        issued_at=row.issued_at,
        basis=row.basis,
        status=row.status,
        status_reason_category=row.status_reason_category,
        superseded_by=row.superseded_by,
        supersedes=row.supersedes,
        region=row.region,
        status_list_index=row.status_list_index,
        sm2_key_id=row.sm2_key_id,
        ed25519_key_id=row.ed25519_key_id,
        token=row.token,
        verification_url=verification_url(context.issuer.verification_base_url, row.token),
        history=[StatusChangeRead.model_validate(h) for h in history or []],
    )


@router.post(
    "/recognitions",
    status_code=201,
    summary="直接认定职称并发证 (hr_admin, province_admin: EL-10, EL-14, EL-16/NA-18, EL-8)",
    responses=problem_docs(
        {
            400: "证书内容无效 (certificate_content_invalid)",
            403: "不在管辖范围 (outside_jurisdiction)",
            404: "被转评的证书不存在 (certificate_not_found)",
            409: "不符合认定规则 (rule_refused: EL-8, EL-10, EL-14, EL-16)",
        }
    ),
)
async def recognize(
    recognition_in: RecognitionCreate,
    session: SessionDep,
    principal: CertificateAdmin,
    context: ContextDep,
    now: NowDep,
) -> CertificateRead:
    """Recognize a title directly and issue its certificate at once (a transfer supersedes the old one, EL-8)."""
    row = await service.recognize(session, context=context, actor=principal, recognition_in=recognition_in, now=now)
    return to_read(context, row)


@router.get("/mine", summary="本人证书及查询记录 (applicant: my certificates and who looked them up, NA-15)")
async def my_certificates(session: SessionDep, principal: Holder, context: ContextDep) -> list[MyCertificate]:
    """The caller's own certificates (by the identity bound to the token) and the identified verifiers' lookups."""
    if not principal.person_key:
        return []
    rows = list(await CertificateRepository(session).of_holder(principal.person_key))
    lookups = await VerificationRepository(session).lookups_of([row.id for row in rows])
    if rows:
        await journal_read(
            session,
            records=rows,
            actor=principal,
            action="certificates.certificate.read_own",
            record_type="certificate",
        )
    return [
        MyCertificate(
            **to_read(context, row).model_dump(),
            lookups=[VerifierLookupRead.model_validate(x) for x in lookups.get(row.id, [])],
        )
        for row in rows
    ]


@router.get(
    "/certificates/{number}",
    summary="证书详情 (its holder, or staff of its region)",
    responses=problem_docs({404: "证书不存在或不可见 (certificate_not_found)"}),
)
async def read_certificate(
    number: str, session: SessionDep, principal: CertificateReader, context: ContextDep
) -> CertificateRead:
    """One certificate with its status history (journaled as a read of personal data)."""
    row, history = await service.readable(session, number=number, actor=principal, purpose="read")
    return to_read(context, row, history)


@router.get(
    "/certificates/{number}/document",
    summary="下载签名证书文档 (the signed JSON: VC 2.0 + eddsa-jcs-2022 proof + SM2 signature)",
    responses=problem_docs({404: "证书不存在或不可见 (certificate_not_found)"}),
)
async def download_document(
    number: str, session: SessionDep, principal: CertificateReader, context: ContextDep
) -> SignedDocument:
    """The signed certificate document as stored; `zhicheng certificate verify` checks it offline."""
    row, _ = await service.readable(session, number=number, actor=principal, purpose="downloaded")
    return SignedDocument.model_validate(service.open_document(context, row))


@router.get(
    "/certificates/{number}/pdf",
    summary="下载证书PDF (A4, Chinese, QR code)",
    response_class=Response,
    responses={
        200: {"description": "the certificate as PDF", "content": {"application/pdf": {"schema": {"type": "string"}}}},
        **problem_docs(
            {
                404: "证书不存在或不可见 (certificate_not_found)",
                503: "证书字体不可用 (certificate_font_unavailable)",
            }
        ),
    },
)
async def download_pdf(number: str, session: SessionDep, principal: CertificateReader, context: ContextDep) -> Response:
    """The A4 certificate with its QR code; a clear 503 problem when the CJK font is not installed."""
    row, _ = await service.readable(session, number=number, actor=principal, purpose="pdf")
    body = service.pdf_of(context, row)
    return Response(
        content=body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{row.number}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
