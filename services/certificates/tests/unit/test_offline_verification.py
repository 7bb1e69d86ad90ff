"""Offline verification: every check with its reason; one changed byte breaks both signatures; the CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zhicheng_certificates.certificate.domain import CertificateContent, qr_token, sign_certificate
from zhicheng_certificates.signing.domain import SigningKey, jwks, sm2_key_list
from zhicheng_certificates.verification.domain import CheckName, Outcome, verify, verify_document
from zhicheng_common.cli import app


@pytest.fixture
def signed(content: CertificateContent, sm2_key: SigningKey, ed25519_key: SigningKey) -> dict[str, Any]:
    return sign_certificate(content, sm2_key=sm2_key, ed25519_key=ed25519_key)


@pytest.fixture
def keys(sm2_key: SigningKey, ed25519_key: SigningKey) -> list[Any]:
    return [sm2_key.published(), ed25519_key.published()]


def _outcomes(result: Any) -> dict[str, str]:
    return {c.name.value: c.outcome.value for c in result.checks}


ALL_PASSED = {
    "form": "passed",
    "signature_sm2": "passed",
    "signature_ed25519": "passed",
    "issuer_key_valid_at_issue": "passed",
    "status": "passed",
}


def test_a_good_certificate_passes_every_check(signed, keys, status_lists) -> None:  # type: ignore[no-untyped-def]
    result = verify(signed, keys=keys, status_lists=status_lists())
    assert _outcomes(result) == ALL_PASSED
    assert result.valid
    assert result.summary["holderName"] == "欧***"  # masked; never the ID number
    assert "residentId" not in json.dumps(result.to_json())


def test_one_changed_byte_in_the_stored_certificate_breaks_both_signatures_and_says_which(
    signed,
    keys,
    status_lists,  # type: ignore[no-untyped-def]
) -> None:
    text = json.dumps(signed, ensure_ascii=False).encode()
    position = text.index("晋人社职字〔2026〕12号".encode()) + len("晋人社职字〔2026〕1".encode())
    assert text[position : position + 1] == b"2"
    changed = json.loads(text[:position] + b"3" + text[position + 1 :])  # 12号 → 13号: one byte
    result = verify(changed, keys=keys, status_lists=status_lists())
    assert not result.valid
    sm2 = result.check(CheckName.SIGNATURE_SM2)
    ed25519 = result.check(CheckName.SIGNATURE_ED25519)
    assert (sm2.outcome, sm2.code) == (Outcome.FAILED, "sm2_signature_invalid")
    assert (ed25519.outcome, ed25519.code) == (Outcome.FAILED, "ed25519_signature_invalid")
    assert "SM2" in sm2.reason
    assert "Ed25519" in ed25519.reason
    # The other checks still answer: the form is right, the keys were valid, the status is clear.
    assert result.check(CheckName.FORM).outcome is Outcome.PASSED
    assert result.check(CheckName.KEY_VALID_AT_ISSUE).outcome is Outcome.PASSED


def test_a_changed_sm2_signature_fails_only_sm2(signed, keys, status_lists) -> None:  # type: ignore[no-untyped-def]
    changed = copy.deepcopy(signed)
    value = changed["sm2Signature"]["signatureValue"]
    changed["sm2Signature"]["signatureValue"] = value[:-8] + ("A" if value[-8] != "A" else "B") + value[-7:]
    result = verify(changed, keys=keys, status_lists=status_lists())
    assert result.check(CheckName.SIGNATURE_SM2).outcome is Outcome.FAILED
    assert result.check(CheckName.SIGNATURE_ED25519).outcome is Outcome.PASSED


def test_a_revoked_or_suspended_certificate_says_so(signed, keys, status_lists) -> None:  # type: ignore[no-untyped-def]
    revoked = verify(signed, keys=keys, status_lists=status_lists(revoked=(131_071,)))
    assert revoked.check(CheckName.STATUS).code == "certificate_revocation"
    assert not revoked.valid
    assert "已撤销" in revoked.check(CheckName.STATUS).reason
    suspended = verify(signed, keys=keys, status_lists=status_lists(suspended=(131_071,)))
    assert suspended.check(CheckName.STATUS).code == "certificate_suspension"
    neighbour = verify(signed, keys=keys, status_lists=status_lists(revoked=(131_070,)))
    assert neighbour.check(CheckName.STATUS).outcome is Outcome.PASSED


def test_without_lists_the_status_is_unknown_and_a_forged_list_is_refused(  # type: ignore[no-untyped-def]
    signed, keys, status_lists
) -> None:
    unknown = verify(signed, keys=keys, status_lists=[])
    assert unknown.check(CheckName.STATUS).outcome is Outcome.UNKNOWN
    assert not unknown.valid
    revocation_only = verify(signed, keys=keys, status_lists=status_lists()[:1])
    assert revocation_only.check(CheckName.STATUS).outcome is Outcome.UNKNOWN
    forged = status_lists(revoked=(131_071,))
    forged[0]["credentialSubject"]["encodedList"] = status_lists()[0]["credentialSubject"]["encodedList"]
    result = verify(signed, keys=keys, status_lists=forged)
    assert result.check(CheckName.STATUS).code == "status_list_untrusted"


def test_an_unknown_key_and_a_malformed_document_are_reported(signed, keys, status_lists) -> None:  # type: ignore[no-untyped-def]
    no_keys = verify(signed, keys=[], status_lists=status_lists())
    assert no_keys.check(CheckName.SIGNATURE_SM2).code == "unknown_key"
    assert no_keys.check(CheckName.SIGNATURE_ED25519).code == "unknown_key"
    assert no_keys.check(CheckName.KEY_VALID_AT_ISSUE).outcome is Outcome.FAILED
    broken = verify_document({"something": 1}, keys=keys, status_lists=[])
    assert _outcomes(broken)["form"] == "failed"
    extra = copy.deepcopy(signed)
    extra["credential"]["note"] = "x"
    result = verify(extra, keys=keys, status_lists=status_lists())
    assert result.check(CheckName.FORM).code == "credential_not_canonical"
    assert result.check(CheckName.SIGNATURE_SM2).outcome is Outcome.FAILED  # the extra member is signed over too


def test_a_token_is_verified_offline(content, ed25519_key, keys, status_lists) -> None:  # type: ignore[no-untyped-def]
    token = qr_token(content, ed25519_key=ed25519_key)
    result = verify(token, keys=keys, status_lists=status_lists())
    assert _outcomes(result) == {
        **ALL_PASSED,
        "signature_sm2": "not_applicable",
    }  # the token is signed with Ed25519 only
    assert result.summary == {
        "number": "14-2026-0000123-B",
        "holderName": "欧***",
        "titleName": "正高级工艺美术师",
        "obtainedOn": "2026-11-20",
        "issuedAt": "2026-12-01T02:00:00+00:00",
    }
    revoked = verify(token, keys=keys, status_lists=status_lists(revoked=(131_071,)))
    assert revoked.check(CheckName.STATUS).code == "certificate_revocation"
    garbage = verify("12345", keys=keys, status_lists=[])
    assert garbage.check(CheckName.FORM).outcome is Outcome.FAILED


def test_the_cli_verifies_a_file_and_a_token(  # type: ignore[no-untyped-def]
    tmp_path: Path, signed, content, sm2_key, ed25519_key, keys, status_lists
) -> None:
    (tmp_path / "cert.json").write_text(json.dumps(signed, ensure_ascii=False))
    (tmp_path / "keys.json").write_text(json.dumps({"jwks": jwks(keys), "sm2": sm2_key_list(keys)}))
    lists = status_lists()
    (tmp_path / "revocation.json").write_text(json.dumps(lists[0]))
    (tmp_path / "suspension.json").write_text(json.dumps(lists[1]))
    options = ["--keys", str(tmp_path / "keys.json")]
    options += ["--status-list", str(tmp_path / "revocation.json"), "--status-list", str(tmp_path / "suspension.json")]
    runner = CliRunner()
    result = runner.invoke(app, ["certificate", "verify", str(tmp_path / "cert.json"), *options])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output
    assert "signature_sm2" in result.output

    token = qr_token(content, ed25519_key=ed25519_key)
    result = runner.invoke(app, ["certificate", "verify", token, *options, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["checks"][2] == {
        "name": "signature_ed25519",
        "outcome": "passed",
        "reason": "Ed25519 签名有效（密钥 ed-2026-01）",
        "code": "",
    }

    changed = json.loads((tmp_path / "cert.json").read_text())
    changed["credential"]["credentialSubject"]["name"] = "欧阳明化"
    (tmp_path / "changed.json").write_text(json.dumps(changed, ensure_ascii=False))
    result = runner.invoke(app, ["certificate", "verify", str(tmp_path / "changed.json"), *options])
    assert result.exit_code == 1
    assert "NOT VALID" in result.output
    assert "failed          signature_sm2" in result.output
    assert "failed          signature_ed25519" in result.output
