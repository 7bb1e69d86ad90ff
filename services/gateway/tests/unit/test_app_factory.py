"""The gateway's composition root: its signing key and the guard against placeholder passwords."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from zhicheng_common.auth import TokenIssuer, key_id, load_or_create_signing_key
from zhicheng_common.settings import CommonSettings
from zhicheng_gateway.app import create_app
from zhicheng_gateway.settings import GatewaySettings

PRODUCTION = CommonSettings(environment="production", pii_key="a-real-production-pii-key")


def test_the_signing_key_is_created_on_first_start_readable_only_by_its_owner(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "jwt-ed25519.pem"
    app = create_app(CommonSettings(), GatewaySettings(jwt_private_key_file=key_file))
    assert key_file.stat().st_mode & 0o777 == 0o600
    issuer: TokenIssuer = app.state.token_issuer
    assert issuer.kid == key_id(load_or_create_signing_key(key_file))


def test_the_same_key_file_gives_the_same_key_id_on_every_start(tmp_path: Path) -> None:
    settings = GatewaySettings(jwt_private_key_file=tmp_path / "jwt.pem")
    first = create_app(CommonSettings(), settings).state.token_issuer.kid
    assert create_app(CommonSettings(), settings).state.token_issuer.kid == first


def test_tokens_carry_the_configured_issuer_and_audience(tmp_path: Path) -> None:
    common = CommonSettings(jwt_issuer="https://id.example.cn", jwt_audience="shanxi")
    issuer: TokenIssuer = create_app(
        common, GatewaySettings(jwt_private_key_file=tmp_path / "k.pem")
    ).state.token_issuer
    assert (issuer.issuer, issuer.audience) == ("https://id.example.cn", "shanxi")


@pytest.mark.parametrize("password", ["changeme", "admin", "password", ""])
def test_a_placeholder_admin_password_is_refused_in_production(tmp_path: Path, password: str) -> None:
    settings = GatewaySettings(jwt_private_key_file=tmp_path / "k.pem", admin_password=SecretStr(password))
    with pytest.raises(ValueError, match="ZC_GATEWAY_ADMIN_PASSWORD"):
        create_app(PRODUCTION, settings)


def test_a_placeholder_admin_password_is_accepted_in_development(tmp_path: Path) -> None:
    create_app(CommonSettings(environment="development"), GatewaySettings(jwt_private_key_file=tmp_path / "k.pem"))


def test_a_real_admin_password_or_no_bootstrap_admin_is_accepted_in_production(tmp_path: Path) -> None:
    key_file = tmp_path / "k.pem"
    create_app(PRODUCTION, GatewaySettings(jwt_private_key_file=key_file, admin_password=SecretStr("S3cure-Adm1n!")))
    create_app(PRODUCTION, GatewaySettings(jwt_private_key_file=key_file, admin_username=""))
