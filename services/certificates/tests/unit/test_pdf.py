"""The A4 Chinese certificate PDF: embedded font subset, a QR code that decodes and verifies, the holder's name."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp

from zhicheng_certificates.certificate.domain import CertificateContent, qr_token
from zhicheng_certificates.certificate.errors import FontUnavailable
from zhicheng_certificates.certificate.pdf import render_certificate_pdf
from zhicheng_certificates.signing.domain import SigningKey
from zhicheng_certificates.verification.domain import CheckName, Outcome, token_from_text, verify

VERIFY_BASE = "https://zc.rst.shanxi.gov.cn"


def _render(pdf: bytes) -> tuple[str, list[str], tuple[float, float]]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) == 1
        page = document[0]
        size = page.get_size()
        text_page = page.get_textpage()
        text = text_page.get_text_range()
        image = page.render(scale=150 / 72).to_pil()
        codes = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
        text_page.close()
        page.close()
    finally:
        document.close()
    return text, codes, size


def test_the_pdf_is_an_a4_chinese_certificate_whose_qr_verifies(
    cjk_font: Path,
    content: CertificateContent,
    ed25519_key: SigningKey,
    status_lists,  # type: ignore[no-untyped-def]
) -> None:
    token = qr_token(content, ed25519_key=ed25519_key)
    pdf = render_certificate_pdf(content, token=token, verification_base_url=VERIFY_BASE, font_file=cjk_font)
    text, codes, (width, height) = _render(pdf)
    # A4 landscape in points: 297 mm × 210 mm = 841.89 × 595.28.
    assert (round(width, 1), round(height, 1)) == (841.9, 595.3)
    assert "欧阳明华" in text
    assert "14-2026-0000123-B" in text
    assert "正高级工艺美术师" in text
    assert "专业技术人员职称证书" in text
    assert "110105********002X" in text
    assert "11010519491231002X" not in text
    assert "2026年12月1日" in text  # issued 02:00 UTC = 10:00 in China
    assert len(codes) == 1
    assert codes[0].startswith(f"{VERIFY_BASE}/verify?t=")
    assert token_from_text(codes[0]) == token
    result = verify(codes[0], keys=[ed25519_key.published()], status_lists=status_lists())
    assert result.valid, result.checks
    assert result.check(CheckName.SIGNATURE_ED25519).outcome is Outcome.PASSED
    assert result.summary["number"] == "14-2026-0000123-B"


def test_the_font_is_embedded_as_a_truetype_subset_and_no_cid_font_is_used(
    cjk_font: Path, content: CertificateContent, ed25519_key: SigningKey
) -> None:
    token = qr_token(content, ed25519_key=ed25519_key)
    pdf = render_certificate_pdf(content, token=token, verification_base_url=VERIFY_BASE, font_file=cjk_font)
    assert b"/FontFile2" in pdf  # an embedded TrueType program
    assert re.search(rb"/BaseFont /[A-Z]{6}\+", pdf)  # a subset's tag, e.g. /AAAAAA+ZC-…
    assert b"STSong" not in pdf
    assert len(pdf) < 200_000


def test_a_missing_font_is_a_typed_503_error(
    tmp_path: Path, content: CertificateContent, ed25519_key: SigningKey
) -> None:
    token = qr_token(content, ed25519_key=ed25519_key)
    with pytest.raises(FontUnavailable) as missing:
        render_certificate_pdf(content, token=token, verification_base_url=VERIFY_BASE, font_file=tmp_path / "none.ttc")
    assert (missing.value.status, missing.value.code) == (503, "certificate_font_unavailable")
    not_a_font = tmp_path / "broken.ttf"
    not_a_font.write_bytes(b"not a font")
    with pytest.raises(FontUnavailable):
        render_certificate_pdf(content, token=token, verification_base_url=VERIFY_BASE, font_file=not_a_font)
