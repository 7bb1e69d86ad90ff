"""Key rings (docs/keys.md): signing periods, unknown key ids, no key made by a read, production."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from zhicheng_common.auth import Principal, TokenIssuer, TokenVerifier
from zhicheng_common.cli import app
from zhicheng_common.keys import (
    EMBEDDED_NOT_BEFORE,
    KeyRefused,
    KeyRingError,
    init_ring,
    load_ring,
    read_public_ring,
    ring_for,
    rotate_ring,
)
from zhicheng_common.problems import NotAuthenticated
from zhicheng_common.settings import CommonSettings

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ROTATED = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
MESSAGE = b"decision content"
APPLICANT = Principal(subject="u-applicant", roles=frozenset({"applicant"}), region="140100")


def test_a_rotation_keeps_the_old_key_valid_for_what_it_signed_before_and_signs_new_with_the_new(
    tmp_path: Path,
) -> None:
    first = init_ring(tmp_path, "review-decisions", not_before=T0)
    old = first.signer(T0 + timedelta(days=1))
    old_signature = old.sign(MESSAGE)
    ring, new = rotate_ring(tmp_path, now=ROTATED, grace=timedelta(hours=2))
    # The old key signs [T0, ROTATED + 2 h); the new one from ROTATED on, and wins once it started.
    (reloaded_old,) = [k for k in ring.keys if k.key_id == old.key_id]
    assert (reloaded_old.not_before, reloaded_old.not_after) == (T0, ROTATED + timedelta(hours=2))
    assert (new.not_before, new.not_after) == (ROTATED, None)
    assert ring.signer(ROTATED - timedelta(seconds=1)).key_id == old.key_id
    assert ring.signer(ROTATED).key_id == new.key_id
    assert ring.signer(ROTATED + timedelta(hours=1)).key_id == new.key_id
    # What the old key signed while it might still sign verifies; the same signature claimed for
    # a moment after its period (a backdating the other way) does not.
    assert ring.verify(old.key_id, old_signature, MESSAGE, signed_at=T0 + timedelta(days=1))
    assert ring.verify(old.key_id, old_signature, MESSAGE, signed_at=ROTATED + timedelta(hours=1, minutes=59))
    assert not ring.verify(old.key_id, old_signature, MESSAGE, signed_at=ROTATED + timedelta(hours=2))
    with pytest.raises(KeyRefused) as refused:
        ring.key(old.key_id, signed_at=ROTATED + timedelta(hours=2))
    assert refused.value.code == "key_not_valid_at_signing"
    # Nothing signed before a key's period verifies with it either.
    assert not ring.verify(new.key_id, new.sign(MESSAGE), MESSAGE, signed_at=ROTATED - timedelta(seconds=1))
    assert ring.verify(new.key_id, new.sign(MESSAGE), MESSAGE, signed_at=ROTATED)
    # And after a restart (a fresh read of the files) it is all the same.
    assert load_ring(tmp_path).verify(old.key_id, old_signature, MESSAGE, signed_at=T0 + timedelta(days=1))


def test_an_unknown_key_id_is_refused_even_with_a_good_signature(tmp_path: Path) -> None:
    ring = init_ring(tmp_path / "a", "a", not_before=T0)
    stranger = init_ring(tmp_path / "b", "b", not_before=T0).signer(T0)
    signature = stranger.sign(MESSAGE)
    with pytest.raises(KeyRefused) as refused:
        ring.key(stranger.key_id, signed_at=T0)
    assert refused.value.code == "unknown_key"
    assert not ring.verify(stranger.key_id, signature, MESSAGE, signed_at=T0)
    # The ring's own key id over a stranger's signature fails on the signature.
    assert not ring.verify(ring.keys[0].key_id, signature, MESSAGE, signed_at=T0)


def test_no_key_may_sign_before_the_first_keys_period(tmp_path: Path) -> None:
    ring = init_ring(tmp_path, "jwt", not_before=T0)
    with pytest.raises(KeyRingError, match="no key may sign"):
        ring.signer(T0 - timedelta(seconds=1))


def test_reading_a_missing_ring_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="no key ring"):
        load_ring(tmp_path / "jwt")
    with pytest.raises(KeyRingError):
        read_public_ring(tmp_path / "jwt")
    assert list(tmp_path.iterdir()) == []


def test_in_production_a_missing_ring_is_a_start_up_error_and_none_is_generated(tmp_path: Path) -> None:
    settings = CommonSettings(environment="production", pii_key="a-real-production-pii-key", keys_dir=tmp_path)
    with pytest.raises(KeyRingError, match="no key ring"):
        ring_for(settings, "journal-intake")
    assert list(tmp_path.iterdir()) == []


def test_outside_production_a_missing_ring_is_generated_once_then_read(tmp_path: Path) -> None:
    settings = CommonSettings(environment="development", keys_dir=tmp_path)
    first = ring_for(settings, "journal-intake")
    (key,) = first.keys
    assert key.not_before == EMBEDDED_NOT_BEFORE
    assert (tmp_path / "journal-intake" / f"{key.key_id}.pem").stat().st_mode & 0o777 == 0o600
    assert [k.key_id for k in ring_for(settings, "journal-intake").keys] == [key.key_id]


def test_a_ring_is_created_once_then_only_rotated(tmp_path: Path) -> None:
    init_ring(tmp_path, "jwt", not_before=T0)
    with pytest.raises(KeyRingError, match="exists"):
        init_ring(tmp_path, "jwt", not_before=T0)


def test_a_private_key_file_that_does_not_match_its_key_id_is_refused(tmp_path: Path) -> None:
    ring = init_ring(tmp_path / "a", "a", not_before=T0)
    other = init_ring(tmp_path / "b", "b", not_before=T0)
    (tmp_path / "a" / f"{ring.keys[0].key_id}.pem").write_bytes(
        (tmp_path / "b" / f"{other.keys[0].key_id}.pem").read_bytes()
    )
    with pytest.raises(KeyRingError, match="is not the Ed25519 private key"):
        load_ring(tmp_path / "a")


def test_the_published_half_holds_no_private_key_and_verifies_alone(tmp_path: Path) -> None:
    ring = init_ring(tmp_path, "review-decisions", not_before=T0)
    signature = ring.signer(T0).sign(MESSAGE)
    text = (tmp_path / "ring.json").read_text()
    assert "PRIVATE" not in text
    public = read_public_ring(tmp_path)
    assert public.verify(ring.keys[0].key_id, signature, MESSAGE, signed_at=T0)
    jwks = ring.jwks()["keys"]
    assert [(k["kid"], k["zc_not_before"], k["zc_not_after"]) for k in jwks] == [
        (ring.keys[0].key_id, "2026-12-01T08:00:00+00:00", None)
    ]


def test_a_staged_rotation_publishes_the_new_key_at_once_and_signs_with_it_from_its_start(tmp_path: Path) -> None:
    init_ring(tmp_path, "jwt", not_before=T0)
    takes_over = ROTATED + timedelta(hours=6)
    ring, new = rotate_ring(tmp_path, now=ROTATED, not_before=takes_over, grace=timedelta(0))
    assert new.key_id in {k["kid"] for k in ring.jwks()["keys"]}
    assert ring.signer(ROTATED).key_id != new.key_id
    assert ring.signer(takes_over).key_id == new.key_id
    with pytest.raises(KeyRingError, match="in the past"):
        rotate_ring(tmp_path, now=ROTATED, not_before=ROTATED - timedelta(seconds=1))


def test_the_keys_commands_init_rotate_and_list_the_rings(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["keys", "init", "--all", "--keys-dir", str(tmp_path)])
    assert created.exit_code == 0, created.output
    # jwt, review-decisions, feed-pages, committees-tallies, certificates-ed25519, certificates-sm2
    # and one journal ring for each of the 7 services
    assert created.output.count("created") == 13
    # The SM2 ring is made of SM2 keys (the certificates' keyring layout), not an Ed25519 ring.
    sm2_ring = json.loads((tmp_path / "certificates-sm2" / "ring.json").read_text())
    assert [k["alg"] for k in sm2_ring["keys"]] == ["SM2"]
    again = runner.invoke(app, ["keys", "init", "jwt", "--keys-dir", str(tmp_path)])
    assert "left alone" in again.output
    before = load_ring(tmp_path / "jwt").keys[0].key_id
    rotated = runner.invoke(app, ["keys", "rotate", "jwt", "--keys-dir", str(tmp_path)])
    assert rotated.exit_code == 0, rotated.output
    ring = load_ring(tmp_path / "jwt")
    assert next(k.key_id for k in ring.keys) == before
    assert len(ring.keys) == 2
    listed = runner.invoke(app, ["keys", "list", "--keys-dir", str(tmp_path), "--json"])
    document = json.loads(listed.output)
    assert [k["kid"] for k in document["jwt"]["keys"]] == [k.key_id for k in ring.keys]
    assert document["certificates-sm2"] == sm2_ring
    listing = runner.invoke(app, ["keys", "list", "--keys-dir", str(tmp_path)])
    assert "BROKEN" not in listing.output
    text = listing.output
    assert f"* {ring.keys[1].key_id}" in text
    assert f"  {before}" in text
    sm2 = runner.invoke(app, ["keys", "rotate", "certificates-sm2", "--keys-dir", str(tmp_path)])
    assert sm2.exit_code == 0, sm2.output
    sm2_keys = json.loads((tmp_path / "certificates-sm2" / "ring.json").read_text())["keys"]
    assert [k["alg"] for k in sm2_keys] == ["SM2", "SM2"]
    assert sm2_keys[0]["kid"] == sm2_ring["keys"][0]["kid"]
    assert sm2_keys[0]["not_after"] is not None
    assert f"rotated: key {sm2_keys[1]['kid']}" in sm2.output
    unknown = runner.invoke(app, ["keys", "rotate", "nonsense", "--keys-dir", str(tmp_path)])
    assert unknown.exit_code != 0


async def test_tokens_of_a_rotated_jwt_key_verify_until_they_expire_and_not_when_issued_after_its_period(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    init_ring(tmp_path, "jwt", not_before=now - timedelta(days=3))
    before = TokenIssuer.from_ring(load_ring(tmp_path), issuer="zhicheng", audience="zhicheng")
    old_token = before.issue(APPLICANT)
    old_kid = before.kid
    # Rotated a day ago with no grace: the old key signed until then, the new one since.
    rotate_ring(tmp_path, now=now - timedelta(days=1), grace=timedelta(0))
    after = TokenIssuer.from_ring(load_ring(tmp_path), issuer="zhicheng", audience="zhicheng")
    assert after.kid != old_kid
    assert after.key_ids == {old_kid, after.kid}
    verifier = TokenVerifier(CommonSettings(jwt_issuer="zhicheng", jwt_jwks=json.dumps(after.jwks())))
    # A token the old key issued now (after its period ended) is refused ...
    with pytest.raises(NotAuthenticated) as refused:
        await verifier.verify(old_token)
    assert refused.value.code == "token_key_not_valid_at_issue"
    # ... one it issued within its period verifies, and so does one of the new key.
    in_period = jwt.encode(
        {
            "iss": "zhicheng",
            "aud": "zhicheng",
            "sub": "u",
            "roles": ["applicant"],
            "region": "140100",
            "iat": int((now - timedelta(days=2)).timestamp()),
            "exp": int((now + timedelta(hours=1)).timestamp()),
        },
        before.private_key,
        algorithm="EdDSA",
        headers={"kid": old_kid},
    )
    assert (await verifier.verify(in_period)).subject == "u"
    assert (await verifier.verify(after.issue(APPLICANT))).subject == APPLICANT.subject
