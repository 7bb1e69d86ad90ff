"""Key rotation: certificates signed with the old keys still verify (online and offline); new ones use
the new keys; both generations stay published. Keys come from the rings on disk, never made on a read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhicheng_certificates.signing.domain import parse_published_keys
from zhicheng_certificates.signing.keyring import load_sm2_ring, rotate_sm2_ring
from zhicheng_certificates.verification.domain import verify
from zhicheng_common.cli import app as cli
from zhicheng_common.clock import ManualClock
from zhicheng_common.keys import load_ring, rotate_ring

from .conftest import START, Certs, make_app, served
from .test_recognition import ROUTE, body

pytestmark = pytest.mark.service


async def test_key_rotation_keeps_old_certificates_valid_and_signs_new_ones_with_the_new_keys(
    certs: Certs, tmp_path: Path
) -> None:
    common = certs.app.state.runtime.common.model_copy(update={"keys_dir": tmp_path / "keys"})
    clock = ManualClock(START)
    before = make_app(common, clock)  # generates both rings once (embedded default)
    ed_dir, sm2_dir = tmp_path / "keys" / "certificates-ed25519", tmp_path / "keys" / "certificates-sm2"
    recognition = body("qualification_correspondence", qualification="first_class_constructor")
    async with served(before) as client:
        old = (await client.post(ROUTE, json=recognition, headers=certs.headers())).json()
    old_ed, old_sm2 = load_ring(ed_dir).keys[0].key_id, load_sm2_ring(sm2_dir)[0].key_id
    assert (old["ed25519_key_id"], old["sm2_key_id"]) == (old_ed, old_sm2)

    rotation = START + timedelta(days=1)
    _, new_ed = rotate_ring(ed_dir, now=rotation, grace=timedelta(0))
    new_sm2 = rotate_sm2_ring(sm2_dir, now=rotation, grace=timedelta(0))[-1]
    clock.set(rotation + timedelta(hours=1))
    after = make_app(common, clock)
    async with served(after) as client:
        new = (await client.post(ROUTE, json=recognition, headers=certs.headers())).json()
        assert (new["ed25519_key_id"], new["sm2_key_id"]) == (new_ed.key_id, new_sm2.key_id)
        published = (await client.get("/api/v1/certificates/public/keys")).json()
        assert [k["kid"] for k in published["jwks"]["keys"]] == [old_ed, new_ed.key_id]
        assert [k["kid"] for k in published["sm2"]["keys"]] == [old_sm2, new_sm2.key_id]
        # The old key's period ended at the rotation; the new one's is open.
        assert published["jwks"]["keys"][0]["validUntil"] == "2026-12-04T02:00:00Z"
        assert "validUntil" not in published["jwks"]["keys"][1]
        for created, name in ((old, "李华"), (new, "李华")):
            answer = await client.post(
                "/api/v1/certificates/public/verifications/by-number",
                json={"number": created["number"], "holder_name": name},
            )
            assert answer.json()["valid"] is True, answer.text
        document = (
            await client.get(f"/api/v1/certificates/certificates/{old['number']}/document", headers=certs.headers())
        ).json()
        lists = [
            (await client.get(f"/api/v1/certificates/public/status/{p}")).json() for p in ("revocation", "suspension")
        ]
    keys, _ = parse_published_keys(published)
    assert verify(document, keys=keys, status_lists=lists).valid


async def test_the_keys_rotate_command_rotates_both_certificate_rings_old_certificates_verify_new_ones_use_the_new_keys(
    certs: Certs, tmp_path: Path
) -> None:
    """``zhicheng keys rotate certificates-ed25519 certificates-sm2`` as an operator runs it (docs/keys.md)."""
    keys_dir = tmp_path / "keys"
    common = certs.app.state.runtime.common.model_copy(update={"keys_dir": keys_dir})
    runner = CliRunner()
    rings = ["certificates-ed25519", "certificates-sm2"]
    made = runner.invoke(cli, ["keys", "init", *rings, "--keys-dir", str(keys_dir), "--not-before", START.isoformat()])
    assert made.exit_code == 0, made.output
    clock = ManualClock(START)
    recognition = body("qualification_correspondence", qualification="first_class_constructor")
    async with served(make_app(common, clock)) as client:
        old = (await client.post(ROUTE, json=recognition, headers=certs.headers())).json()
    old_ed, old_sm2 = load_ring(keys_dir / rings[0]).keys[0].key_id, load_sm2_ring(keys_dir / rings[1])[0].key_id
    assert (old["ed25519_key_id"], old["sm2_key_id"]) == (old_ed, old_sm2)

    rotated = runner.invoke(cli, ["keys", "rotate", *rings, "--keys-dir", str(keys_dir), "--grace-hours", "0"])
    assert rotated.exit_code == 0, rotated.output
    new_ed = load_ring(keys_dir / rings[0]).keys[-1].key_id
    new_sm2 = load_sm2_ring(keys_dir / rings[1])[-1].key_id
    assert {new_ed, new_sm2}.isdisjoint({old_ed, old_sm2})
    assert f"rotated: key {new_ed}" in rotated.output
    assert f"rotated: key {new_sm2}" in rotated.output
    listed = runner.invoke(cli, ["keys", "list", "--keys-dir", str(keys_dir)]).output
    assert f"* {new_sm2}" in listed
    assert f"  {old_sm2}" in listed

    # The restarted service, an hour after the rotation (the command rotates at the real now).
    clock.set(datetime.now(UTC) + timedelta(hours=1))
    async with served(make_app(common, clock)) as client:
        new = (await client.post(ROUTE, json=recognition, headers=certs.headers())).json()
        assert (new["ed25519_key_id"], new["sm2_key_id"]) == (new_ed, new_sm2)
        for created in (old, new):
            answer = await client.post(
                "/api/v1/certificates/public/verifications/by-number",
                json={"number": created["number"], "holder_name": "李华"},
            )
            assert answer.json()["valid"] is True, answer.text
            checks = {c["name"]: c["outcome"] for c in answer.json()["checks"]}
            assert checks["signature_sm2"] == checks["signature_ed25519"] == "passed", checks
        published = (await client.get("/api/v1/certificates/public/keys")).json()
    assert [k["kid"] for k in published["sm2"]["keys"]] == [old_sm2, new_sm2]
    assert [k["kid"] for k in published["jwks"]["keys"]] == [old_ed, new_ed]
