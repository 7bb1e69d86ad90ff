"""The A4 certificate PDF (电子证书版式文件): Chinese text in an embedded TrueType subset, the QR code, the number.

The font is a TrueType (glyf) font such as Debian's ``fonts-wqy-microhei``, embedded as a
subset so the PDF shows the same text on any machine. reportlab's built-in CID font
``STSong-Light`` embeds nothing and renders as empty boxes where the reader lacks the font, and
CFF (PostScript-outline) fonts such as Noto CJK cannot be embedded by reportlab: neither is used.
The only I/O is reading the font file from its configured path.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from zhicheng_certificates.certificate.domain import CertificateContent, qr_segments
from zhicheng_certificates.certificate.errors import FontUnavailable
from zhicheng_common.clock import china_today
from zhicheng_common.pdf_font import FontFileError, register_cjk_font
from zhicheng_common.pii import mask_identifier
from zhicheng_common.reference import level_name

GENDER_NAMES = {"male": "男", "female": "女"}
_SEAL_RED = colors.HexColor("#B22222")
_INK = colors.HexColor("#1A1A1A")


def register_font(path: Path) -> str:
    """Register the TrueType font at ``path`` once and return its reportlab name (zhicheng_common.pdf_font).

    Raises:
        FontUnavailable: The file is missing or is not a TrueType font reportlab can embed.
    """
    try:
        return register_cjk_font(path)
    except FontFileError as error:
        raise FontUnavailable(f"证书{error}") from error


def _qr_drawing(base_url: str, token: str, size: float) -> Drawing:
    modes = {"byte": qrencoder.QR8bitByte, "numeric": qrencoder.QRNumber}
    segments = [modes[mode](text) for text, mode in qr_segments(base_url, token)]
    widget = QrCodeWidget(segments, barLevel="M", barWidth=size, barHeight=size, barBorder=2)
    drawing = Drawing(size, size)
    drawing.add(widget)
    return drawing


def render_certificate_pdf(
    content: CertificateContent, *, token: str, verification_base_url: str, font_file: Path
) -> bytes:
    """The certificate as an A4 (landscape) PDF with the QR code of ``token`` and the certificate number.

    Raises:
        FontUnavailable: The CJK font cannot be used (the API answers 503).
    """
    font = register_font(font_file)
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"职称证书 {content.number}")
    pdf.setAuthor(content.issuer_name)
    pdf.setSubject("专业技术人员职称证书（电子证书）")

    # Frame: a thick outer line and a thin inner one, in the red of an official seal.
    pdf.setStrokeColor(_SEAL_RED)
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setLineWidth(0.8)
    pdf.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm)

    pdf.setFillColor(_SEAL_RED)
    pdf.setFont(font, 30)
    pdf.drawCentredString(width / 2, height - 42 * mm, "专业技术人员职称证书")
    pdf.setFont(font, 11)
    pdf.drawCentredString(width / 2, height - 50 * mm, "本电子证书与纸质证书具有同等效力，可扫描二维码或登录平台核验")

    issued_on = china_today(content.issued_at)  # the printed issue date is the date in China
    rows = [
        ("姓　　名", content.holder_name),
        ("性　　别", GENDER_NAMES.get(content.gender, content.gender)),
        ("身份证号", mask_identifier(content.resident_id)),
        ("系　　列", content.series_name),
        ("专　　业", content.specialty_name),
        ("层　　级", level_name(content.level)),
        ("资格名称", content.title_name),
        ("取得时间", f"{content.obtained_on.year}年{content.obtained_on.month}月{content.obtained_on.day}日"),
        ("评审机构", content.committee_name),
        ("审批机关", content.approving_authority),
        ("审批文号", content.approval_document),
    ]
    pdf.setFillColor(_INK)
    y = height - 64 * mm
    for label, value in rows:
        pdf.setFont(font, 13)
        pdf.drawString(34 * mm, y, f"{label}：")
        pdf.setFont(font, 14)
        pdf.drawString(62 * mm, y, value)
        y -= 9.5 * mm

    qr_size = 58 * mm
    qr_x, qr_y = width - 34 * mm - qr_size, height - 66 * mm - qr_size + 6 * mm
    renderPDF.draw(_qr_drawing(verification_base_url, token, qr_size), pdf, qr_x, qr_y)
    pdf.setFont(font, 10)
    pdf.drawCentredString(qr_x + qr_size / 2, qr_y - 5 * mm, "扫码核验证书")

    pdf.setFont(font, 12)
    right = width - 34 * mm
    pdf.drawRightString(right, 38 * mm, f"发证机关：{content.issuer_name}")
    pdf.drawRightString(right, 30 * mm, f"发证日期：{issued_on.year}年{issued_on.month}月{issued_on.day}日")
    pdf.setFont(font, 11)
    pdf.drawString(34 * mm, 30 * mm, f"证书编号：{content.number}")
    pdf.setFont(font, 8)
    pdf.drawString(34 * mm, 24 * mm, f"电子证照标识：{content.licence_id}")

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
