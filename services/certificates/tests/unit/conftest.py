"""Builders for the certificates core tests: keys, content, published status lists; the CJK font and npm set-ups."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhicheng_certificates.certificate.domain import (
    CertificateContent,
    certificate_number,
    licence_identifier,
)
from zhicheng_certificates.settings import CertificatesSettings
from zhicheng_certificates.signing.domain import Algorithm, SigningKey, Validity, generate_sm2_key
from zhicheng_certificates.status.domain import (
    STATUS_PURPOSES,
    BitstringStatusList,
    status_list_credential,
    status_list_url,
)
from zhicheng_common.testing import ensure_cjk_font

FIXTURES = Path(__file__).parent / "fixtures"
KEYS_FROM = datetime(2026, 1, 1, tzinfo=UTC)
ISSUED_AT = datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC)  # 10:00 in China
ISSUER_DID = "did:web:zc.rst.shanxi.gov.cn"
STATUS_BASE = "https://zc.rst.shanxi.gov.cn/api/v1/certificates/status"
VERIFY_BASE = "https://zc.rst.shanxi.gov.cn"
ISSUER_CREDIT_CODE = "11140000012345678E"  # GB 32100 check character worked out: E
LICENCE_TYPE = "11100000000013338W001"


@pytest.fixture(scope="session")
def ed25519_key() -> SigningKey:
    return SigningKey("ed-2026-01", Algorithm.ED25519, Ed25519PrivateKey.generate(), Validity(KEYS_FROM))


@pytest.fixture(scope="session")
def sm2_key() -> SigningKey:
    return SigningKey("sm2-2026-01", Algorithm.SM2, generate_sm2_key(), Validity(KEYS_FROM))


def make_content(serial: int = 123, **changes: Any) -> CertificateContent:
    number = certificate_number(province="14", year=2026, serial=serial)
    assert not hasattr(number, "code"), number
    licence = licence_identifier(
        licence_type=LICENCE_TYPE,
        issuer_credit_code=ISSUER_CREDIT_CODE,
        serial=number.digits,  # type: ignore[union-attr]
    )
    assert isinstance(licence, str), licence
    content = CertificateContent(
        number=str(number),
        licence_id=licence,
        holder_name="欧阳明华",
        gender="male",
        resident_id="11010519491231002X",
        series_code="engineering",
        series_name="工程技术",
        specialty_code="computer_technology",
        specialty_name="计算机技术",
        level="senior",
        title_name="正高级工艺美术师",  # the longest title name in the series catalog (8 characters)
        committee_id="0190b3c2-0000-7000-8000-000000000001",
        committee_name="山西省工程技术系列高级职称评审委员会",
        approving_authority="山西省人力资源和社会保障厅",
        approval_document="晋人社职字〔2026〕12号",
        obtained_on=date(2026, 11, 20),
        issued_at=ISSUED_AT,
        issuer_did=ISSUER_DID,
        issuer_name="山西省人力资源和社会保障厅",
        issuer_credit_code=ISSUER_CREDIT_CODE,
        status_list_base=STATUS_BASE,
        status_list_index=131_071,
        sm2_key_id="sm2-2026-01",
        ed25519_key_id="ed-2026-01",
    )
    return replace(content, **changes)


@pytest.fixture
def content() -> CertificateContent:
    return make_content()


@pytest.fixture
def build_content() -> Callable[..., CertificateContent]:
    """``build_content(serial=…, field=value, …)``: the standard content with some fields changed."""
    return make_content


StatusLists = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def status_lists(ed25519_key: SigningKey) -> StatusLists:
    """The two published lists (revocation, suspension), with the given indices set."""

    def build(*, revoked: tuple[int, ...] = (), suspended: tuple[int, ...] = ()) -> list[dict[str, Any]]:
        out = []
        for purpose, indices in zip(STATUS_PURPOSES, (revoked, suspended), strict=True):
            bits = BitstringStatusList()
            for index in indices:
                bits.set(index)
            out.append(
                status_list_credential(
                    bits,
                    url=status_list_url(STATUS_BASE, purpose),
                    purpose=purpose,
                    issuer=ISSUER_DID,
                    valid_from=datetime(2026, 12, 2, tzinfo=UTC),
                    key=ed25519_key.private_key,
                    verification_method=f"{ISSUER_DID}#{ed25519_key.key_id}",
                )
            )
        return out

    return build


@pytest.fixture(scope="session")
def cjk_font() -> Path:
    """The configured CJK font (``ZC_CERTIFICATES_PDF_FONT_FILE``), installed from apt once per session if absent."""
    return ensure_cjk_font(CertificatesSettings().pdf_font_file)


@pytest.fixture(scope="session")
def npm_status_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with Digital Bazaar's ``@digitalbazaar/vc-bitstring-status-list`` installed by npm."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("npm/node are not installed here: the independent status-list decoder cannot run")
    folder = tmp_path_factory.mktemp("npm-bitstring")
    result = subprocess.run(
        [
            npm, "install", "--no-audit", "--no-fund", "--silent",
            # The npm cache answers when it has the package (a run without network, such as a
            # network namespace, then still works); bounded waits when the registry is unreachable.
            "--prefer-offline", "--fetch-timeout=30000", "--fetch-retries=1",
            "@digitalbazaar/vc-bitstring-status-list@2.0.1",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )  # fmt: skip
    # npm is present: a failure here is a broken set-up and must fail, never skip.
    assert result.returncode == 0, f"npm install failed: {result.stderr[-2000:]}"
    return folder
