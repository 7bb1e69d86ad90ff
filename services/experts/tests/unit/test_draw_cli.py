"""`zhicheng draw verify PACK.json`: prints each check, exits 1 naming the failed one."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from zhicheng_common.cli import app
from zhicheng_experts.draw.domain import Quota

from .conftest import expert, prepared, signed_pack

KEYS = [Ed25519PrivateKey.generate() for _ in range(3)]
DRAW = prepared([expert(i) for i in range(15)], (Quota("civil", 11, 2),))
PACK = signed_pack(DRAW, KEYS)


def key_files(tmp_path: Path) -> list[str]:
    args: list[str] = []
    for i, key in enumerate(KEYS):
        path = tmp_path / f"signer{i}.pem"
        path.write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        args += ["--key", str(path)]
    return args


def run(tmp_path: Path, text: str) -> tuple[int, str]:
    pack = tmp_path / "pack.json"
    pack.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["draw", "verify", str(pack), *key_files(tmp_path)])
    return result.exit_code, result.output


def test_EX_1_verify_prints_every_check_and_the_same_panel(tmp_path: Path) -> None:
    code, output = run(tmp_path, json.dumps(PACK, ensure_ascii=False, indent=2))
    assert code == 0, output
    for name in ("format", "commitment", "snapshot_hash", "audit_hash", "exclusions", "result", "signers"):
        assert f"ok      {name}" in output
    members = ", ".join(PACK["result"]["lots"][0]["members"])
    assert f"civil: members {members}" in output
    assert "verified" in output


def test_EX_1_one_byte_changed_in_the_file_fails_and_names_the_check(tmp_path: Path) -> None:
    text = json.dumps(PACK, ensure_ascii=False, indent=2)
    secret = PACK["secret"]
    changed = "0" if secret[-1] != "0" else "1"
    tampered = text.replace(f'"secret": "{secret}"', f'"secret": "{secret[:-1]}{changed}"')
    # Exactly one byte differs.
    assert sum(a != b for a, b in zip(tampered.encode(), text.encode(), strict=True)) == 1
    code, output = run(tmp_path, tampered)
    assert code == 1
    assert "FAILED  commitment" in output
    assert "verification failed: commitment, result" in output


def test_without_the_signers_keys_the_signatures_fail(tmp_path: Path) -> None:
    pack = tmp_path / "pack.json"
    pack.write_text(json.dumps(PACK), encoding="utf-8")
    result = CliRunner().invoke(app, ["draw", "verify", str(pack)])
    assert result.exit_code == 1
    assert "FAILED  signature:s0" in result.output
    assert "FAILED  signers" in result.output


def test_a_file_that_is_not_a_pack_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run(tmp_path, "[1, 2, 3]")
    assert code == 2
    assert "JSON object" in output
