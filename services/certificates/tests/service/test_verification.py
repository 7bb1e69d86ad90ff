"""The public verification API (CE-3, NA-15): each check listed, minimal fields, "no match" for a wrong
name, identified verifiers recorded for the holder, anonymous checks counted per day; keys and PDF."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from zhicheng_certificates.certificate.domain import decode_token
from zhicheng_certificates.signing.domain import parse_published_keys
from zhicheng_certificates.verification.domain import verify
from zhicheng_common.testing import assert_problem

from .conftest import Certs, make_app, served
from .test_status import issued

pytestmark = pytest.mark.service

BY_NUMBER = "/api/v1/certificates/public/verifications/by-number"
BY_TOKEN = "/api/v1/certificates/public/verifications/by-token"
CHECKS = ["form", "signature_sm2", "signature_ed25519", "issuer_key_valid_at_issue", "status"]


async def _anonymous(certs: Certs, method: str) -> int:
    count = await certs.scalar(
        "SELECT count FROM certificates.anonymous_counts WHERE day = :d AND method = :m",
        d=date(2026, 12, 3),  # START is 10:00 on 3 December in China
        m=method,
    )
    return int(count or 0)


async def test_CE_3_NA_15_by_number_and_name_lists_each_check_and_only_what_a_verifier_needs(certs: Certs) -> None:
    number, holder = await issued(certs, name="欧阳明华")
    before = await _anonymous(certs, "number")
    answer = await certs.client.post(BY_NUMBER, json={"number": number.lower(), "holder_name": "欧阳明华"})
    body = answer.json()
    assert answer.status_code == 200
    assert (body["matched"], body["valid"], body["kind"]) == (True, True, "document")
    assert [c["name"] for c in body["checks"]] == CHECKS
    assert {c["outcome"] for c in body["checks"]} == {"passed"}
    assert body["certificate"] == {
        "number": number,
        "holderName": "欧阳明华",  # supplied correctly: shown
        "titleName": "正高级工程师",
        "series": "工程技术",
        "level": "senior",
        "obtainedOn": "2026-11-20",
        "issuedAt": "2026-12-03T02:00:00+00:00",
        "issuer": "山西省人力资源和社会保障厅",
    }
    assert holder["resident_id"] not in answer.text
    assert await _anonymous(certs, "number") == before + 1
    # The resident ID is optional; given, it must match too.
    with_id = await certs.client.post(
        BY_NUMBER, json={"number": number, "holder_name": "欧阳明华", "resident_id": holder["resident_id"]}
    )
    assert with_id.json()["matched"] is True


async def test_CE_3_a_wrong_name_with_a_right_number_is_no_match_and_nothing_about_the_holder(certs: Certs) -> None:
    number, holder = await issued(certs, name="郑秀文")
    wrong_name = await certs.client.post(BY_NUMBER, json={"number": number, "holder_name": "郑秀"})
    wrong_id = await certs.client.post(
        BY_NUMBER, json={"number": number, "holder_name": "郑秀文", "resident_id": "11010519491231002X"}
    )
    unknown = await certs.client.post(BY_NUMBER, json={"number": "14-2026-9999999-" + number[-1], "holder_name": "x"})
    expected = {"matched": False, "valid": False, "kind": None, "checks": [], "certificate": None,
                "detail": "未找到与所填信息相符的证书"}  # fmt: skip
    assert wrong_name.json() == expected
    assert wrong_id.json() == expected
    if unknown.status_code == 200:  # the check character may happen to be right: then also no match
        assert unknown.json() == expected
    else:
        assert_problem(unknown, 400, "certificate_number_check")
    for response in (wrong_name, wrong_id):
        assert "郑" not in response.text
        assert holder["resident_id"] not in response.text
    malformed = await certs.client.post(BY_NUMBER, json={"number": "14-2026-12", "holder_name": "郑秀文"})
    assert_problem(malformed, 400, "certificate_number_malformed")


async def test_by_token_masks_the_name_and_checks_the_token_and_the_stored_document(certs: Certs) -> None:
    number, _ = await issued(certs, name="冯远征")
    token = await certs.scalar("SELECT token FROM certificates.certificates WHERE number = :n", n=number)
    before = await _anonymous(certs, "token")
    answer = await certs.client.post(BY_TOKEN, json={"token": f"http://127.0.0.1:8000/verify?t={token}"})
    body = answer.json()
    assert (body["matched"], body["valid"]) == (True, True)
    assert [c["name"] for c in body["checks"]] == CHECKS
    assert body["certificate"]["holderName"] == "冯**"
    assert await _anonymous(certs, "token") == before + 1
    # A token with its signature damaged: the Ed25519 check fails and says it was the token.
    decoded = decode_token(token)
    assert not hasattr(decoded, "code")
    forged = str(int(token) ^ 1)
    forged_answer = (await certs.client.post(BY_TOKEN, json={"token": forged})).json()
    if forged_answer["matched"]:
        ed = next(c for c in forged_answer["checks"] if c["name"] == "signature_ed25519")
        assert ed["outcome"] == "failed"
        assert ed["reason"].startswith("二维码令牌")


async def test_NA_15_identified_verifiers_are_recorded_for_the_holders_view_anonymous_ones_are_not(
    certs: Certs,
) -> None:
    number, holder = await issued(certs, name="陈红")
    unit = certs.headers("unit_reviewer", subject="unit-taiyuan-heavy", name="太原重型机械集团有限公司")
    identified = await certs.client.post(BY_NUMBER, json={"number": number, "holder_name": "陈红"}, headers=unit)
    assert identified.json()["matched"] is True
    await certs.client.post(BY_NUMBER, json={"number": number, "holder_name": "陈红"})  # anonymous
    mine = await certs.client.get(
        "/api/v1/certificates/mine", headers=certs.headers("applicant", person_key=holder["applicant_key"])
    )
    assert mine.status_code == 200
    (certificate,) = mine.json()
    assert certificate["number"] == number
    assert certificate["resident_id_masked"].count("*") == 8
    assert [(x["verifier_id"], x["verifier_name"], x["method"]) for x in certificate["lookups"]] == [
        ("unit-taiyuan-heavy", "太原重型机械集团有限公司", "number")
    ]
    bad_token = await certs.client.post(
        BY_NUMBER, json={"number": number, "holder_name": "陈红"}, headers={"Authorization": "Bearer nonsense"}
    )
    assert bad_token.status_code == 401


async def test_keys_are_published_as_jwks_did_web_and_an_sm2_list_and_verify_offline(certs: Certs) -> None:
    number, holder = await issued(certs, name="韩梅梅")
    jwks = (await certs.client.get("/api/v1/certificates/public/keys/jwks.json")).json()
    sm2 = (await certs.client.get("/api/v1/certificates/public/keys/sm2.json")).json()
    did = (await certs.client.get("/api/v1/certificates/public/did.json")).json()
    # did:web of the public base http://127.0.0.1:8000, path api/v1/certificates/public.
    assert did["id"] == "did:web:127.0.0.1%3A8000:api:v1:certificates:public"
    assert [k["kty"] for k in jwks["keys"]] == ["OKP"]
    assert sm2["keys"][0]["userId"] == "1234567812345678"
    assert did["assertionMethod"] == [f"{did['id']}#{jwks['keys'][0]['kid']}"]
    document = (
        await certs.client.get(
            f"/api/v1/certificates/certificates/{number}/document",
            headers=certs.headers("applicant", person_key=holder["applicant_key"]),
        )
    ).json()
    keys, problems = parse_published_keys({"jwks": jwks, "sm2": sm2, "did": did})
    assert problems == []
    lists = [
        (await certs.client.get(f"/api/v1/certificates/public/status/{p}")).json() for p in ("revocation", "suspension")
    ]
    result = verify(document, keys=keys, status_lists=lists)
    assert result.valid, result.to_json()
    # Another applicant cannot download it.
    other = await certs.client.get(
        f"/api/v1/certificates/certificates/{number}/document", headers=certs.headers("applicant", person_key="x" * 64)
    )
    assert_problem(other, 404, "certificate_not_found")


async def test_CE_1_the_pdf_downloads_with_its_qr_code_and_answers_503_without_the_font(
    certs: Certs, cjk_font: Path
) -> None:
    import pypdfium2
    import zxingcpp

    number, holder = await issued(certs, name="刘洋")
    headers = certs.headers("applicant", person_key=holder["applicant_key"])
    response = await certs.client.get(f"/api/v1/certificates/certificates/{number}/pdf", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    page = pypdfium2.PdfDocument(io.BytesIO(response.content))[0]
    assert "刘洋" in page.get_textpage().get_text_range()
    (code,) = zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil())
    token = await certs.scalar("SELECT token FROM certificates.certificates WHERE number = :n", n=number)
    assert code.text == f"http://127.0.0.1:8000/verify?t={token}"
    verified = (await certs.client.post(BY_TOKEN, json={"token": code.text})).json()
    assert verified["valid"] is True


async def test_without_the_font_the_pdf_is_a_503_problem_and_verification_still_works(
    certs: Certs, tmp_path: Path
) -> None:
    number, holder = await issued(certs, name="马丽")
    settings = certs.app.state.runtime.common
    app = make_app(settings, certs.clock, pdf_font_file=tmp_path / "missing.ttc")
    async with served(app) as client:
        headers = certs.headers("applicant", person_key=holder["applicant_key"])
        response = await client.get(f"/api/v1/certificates/certificates/{number}/pdf", headers=headers)
        assert_problem(response, 503, "certificate_font_unavailable")
        answer = await client.post(BY_NUMBER, json={"number": number, "holder_name": "马丽"})
        assert answer.json()["valid"] is True
