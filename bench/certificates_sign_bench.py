"""Certificate signatures per second on one core: SM2 (SM3), the Ed25519 VC (eddsa-jcs-2022), and both.

Pure CPU, one process, no servers: each measure signs the same certificate content as
``sign_certificate`` does, over its JCS canonical form.

* SM2: ``sm2_sign`` of the canonical bytes (tongsuopy, SM3 with the default signer id).
* Ed25519 VC: ``add_eddsa_jcs_proof`` of the unsecured credential (JCS of the proof configuration
  and of the document, two SHA-256, one Ed25519 signature, base58btc).
* Both: ``sign_certificate``, the whole signed document (content checks, the credential, JCS,
  both signatures) — what issuance pays per certificate before its database write.
* QR token: ``qr_token`` (CBOR, one Ed25519 signature), also paid once per certificate.

Run: ``.venv/bin/python bench/certificates_sign_bench.py``; it rewrites its own section of
bench/RESULTS.md. Three runs of each measure are reported, as they vary on a shared machine.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.stack import machine, write_section
from zhicheng_certificates.certificate.domain import (
    CertificateContent,
    CertificateNumber,
    canonical_bytes,
    certificate_number,
    licence_identifier,
    qr_token,
    sign_certificate,
    unsecured_credential,
)
from zhicheng_certificates.signing.domain import (
    Algorithm,
    SigningKey,
    Validity,
    add_eddsa_jcs_proof,
    generate_sm2_key,
    sm2_sign,
)

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Certificates: signatures per second (one core)"
RUNS = 3
SECONDS_PER_RUN = 3.0


@dataclass(frozen=True)
class Measure:
    label: str
    rates: list[float]


def _content(sm2: SigningKey, ed: SigningKey) -> CertificateContent:
    number = certificate_number(province="14", year=2026, serial=123)
    assert isinstance(number, CertificateNumber), number
    licence = licence_identifier(
        licence_type="11100000000013338W001", issuer_credit_code="11140000012345678E", serial=number.digits
    )
    assert isinstance(licence, str)
    return CertificateContent(
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
        title_name="正高级工程师",
        committee_id="0190b3c2-0000-7000-8000-000000000001",
        committee_name="山西省工程技术系列高级职称评审委员会",
        approving_authority="山西省人力资源和社会保障厅",
        approval_document="晋人社职字〔2026〕12号",
        obtained_on=date(2026, 11, 20),
        issued_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        issuer_did="did:web:zc.rst.shanxi.gov.cn",
        issuer_name="山西省人力资源和社会保障厅",
        issuer_credit_code="11140000012345678E",
        status_list_base="https://zc.rst.shanxi.gov.cn/api/v1/certificates/status",
        status_list_index=4242,
        sm2_key_id=sm2.key_id,
        ed25519_key_id=ed.key_id,
    )


def _rate(action: Callable[[], object]) -> float:
    count = 0
    start = time.perf_counter()
    deadline = start + SECONDS_PER_RUN
    while True:
        for _ in range(50):
            action()
        count += 50
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def run() -> list[Measure]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sm2 = SigningKey("sm2-2026-01", Algorithm.SM2, generate_sm2_key(), Validity(start))
    ed = SigningKey("ed-2026-01", Algorithm.ED25519, Ed25519PrivateKey.generate(), Validity(start))
    content = _content(sm2, ed)
    message = canonical_bytes(content)
    credential = unsecured_credential(content)
    actions: list[tuple[str, Callable[[], object]]] = [
        ("SM2 signature of the canonical form", lambda: sm2_sign(sm2.private_key, message)),
        (
            "Ed25519 VC proof (eddsa-jcs-2022)",
            lambda: add_eddsa_jcs_proof(
                credential,
                key=ed.private_key,
                verification_method=content.verification_method,
                created=content.issued_at,
            ),
        ),
        ("both: the signed certificate document", lambda: sign_certificate(content, sm2_key=sm2, ed25519_key=ed)),
        ("QR token (COSE_Sign1, Ed25519)", lambda: qr_token(content, ed25519_key=ed)),
    ]
    return [Measure(label, [_rate(action) for _ in range(RUNS)]) for label, action in actions]


def section(measures: list[Measure], load: tuple[float, float, float]) -> str:
    rows = [
        f"| {m.label} | " + " | ".join(f"{rate:,.0f}/s" for rate in m.rates) + f" | **{sorted(m.rates)[1]:,.0f}/s** |"
        for m in measures
    ]
    return "\n".join(
        [
            HEADING,
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; "
            "`.venv/bin/python bench/certificates_sign_bench.py`.",
            "One process on one core, no servers; each run signs for 3 s. The machine is shared with",
            f"other helpers' work (load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the start), so",
            "the three runs differ; the median is in bold.",
            "",
            "| measure | run 1 | run 2 | run 3 | median |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def main() -> None:
    load = os.getloadavg()
    text = section(run(), load)
    write_section(RESULTS, HEADING, text)
    print(text)


if __name__ == "__main__":
    main()
