"""The gateway's composition root: its key ring and the guard against placeholder passwords."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from zhicheng_common.auth import TokenIssuer
from zhicheng_common.keys import FEED_PAGES, JWT, KeyRingError, init_ring, journal_purpose, load_ring
from zhicheng_common.settings import CommonSettings
from zhicheng_gateway.app import create_app
from zhicheng_gateway.settings import GatewaySettings

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def production(keys: Path) -> CommonSettings:
    return CommonSettings(environment="production", pii_key="a-real-production-pii-key", keys_dir=keys)


def mounted_rings(keys: Path) -> None:
    """What the production secrets hold for the gateway: its token ring, its journal's, its feed pages'."""
    init_ring(keys / JWT, JWT, not_before=NOW)
    init_ring(keys / journal_purpose("gateway"), journal_purpose("gateway"), not_before=NOW)
    init_ring(keys / FEED_PAGES, FEED_PAGES, not_before=NOW)


def test_outside_production_the_jwt_ring_is_generated_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    app = create_app(CommonSettings(keys_dir=tmp_path), GatewaySettings())
    ring = load_ring(tmp_path / JWT)
    (key,) = ring.keys
    assert (tmp_path / JWT / f"{key.key_id}.pem").stat().st_mode & 0o777 == 0o600
    issuer: TokenIssuer = app.state.token_issuer
    assert issuer.kid == key.key_id


def test_the_same_ring_gives_the_same_key_id_on_every_start(tmp_path: Path) -> None:
    common = CommonSettings(keys_dir=tmp_path)
    first = create_app(common, GatewaySettings()).state.token_issuer.kid
    assert create_app(common, GatewaySettings()).state.token_issuer.kid == first


def test_in_production_a_missing_jwt_ring_stops_the_gateway_and_none_is_made(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="no key ring"):
        create_app(production(tmp_path), GatewaySettings(admin_username=""))
    assert not (tmp_path / JWT).exists()


def test_tokens_carry_the_configured_issuer_and_audience(tmp_path: Path) -> None:
    common = CommonSettings(jwt_issuer="https://id.example.cn", jwt_audience="shanxi", keys_dir=tmp_path)
    issuer: TokenIssuer = create_app(common, GatewaySettings()).state.token_issuer
    assert (issuer.issuer, issuer.audience) == ("https://id.example.cn", "shanxi")


@pytest.mark.parametrize("password", ["changeme", "admin", "password", ""])
def test_a_placeholder_admin_password_is_refused_in_production(tmp_path: Path, password: str) -> None:
    mounted_rings(tmp_path)
    with pytest.raises(ValueError, match="ZC_GATEWAY_ADMIN_PASSWORD"):
        create_app(production(tmp_path), GatewaySettings(admin_password=SecretStr(password)))


def test_a_placeholder_admin_password_is_accepted_in_development(tmp_path: Path) -> None:
    create_app(CommonSettings(environment="development", keys_dir=tmp_path), GatewaySettings())


def test_a_real_admin_password_or_no_bootstrap_admin_is_accepted_in_production(tmp_path: Path) -> None:
    mounted_rings(tmp_path)
    create_app(production(tmp_path), GatewaySettings(admin_password=SecretStr("S3cure-Adm1n!")))
    create_app(production(tmp_path), GatewaySettings(admin_username=""))
