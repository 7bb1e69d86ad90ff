"""Settings refuse placeholder secrets outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from zhicheng_common.settings import CommonSettings, ServiceSettings


def test_development_accepts_the_development_pii_key() -> None:
    assert CommonSettings(environment="development").pii_key


@pytest.mark.parametrize("value", ["changeme", "", "secret", "development-only-pii-key"])
def test_production_refuses_a_placeholder_pii_key(value: str) -> None:
    with pytest.raises(ValidationError, match="ZC_PII_KEY"):
        CommonSettings(environment="production", pii_key=value)


def test_production_accepts_a_real_pii_key() -> None:
    assert CommonSettings(environment="production", pii_key="k9Yw-3f1d-real-key").environment == "production"


def test_stream_names_follow_the_events_prefix() -> None:
    settings = CommonSettings(events_prefix="zc-shanxi")
    assert settings.stream_name == "ZC_SHANXI"
    assert settings.dead_letter_stream_name == "ZC_SHANXI_DEADLETTER"


def test_a_service_named_once_reads_its_own_prefix_and_defaults_to_its_topology_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zhicheng_experts.settings import ExpertsSettings
    from zhicheng_gateway.settings import GatewaySettings
    from zhicheng_intake.settings import MIGRATIONS_DIR, IntakeSettings

    assert (IntakeSettings().port, ExpertsSettings().port, GatewaySettings().port) == (8001, 8003, 8000)
    monkeypatch.setenv("ZC_INTAKE_PORT", "9101")
    monkeypatch.setenv("ZC_INTAKE_ABANDON_INTERVAL_SECONDS", "7.5")
    monkeypatch.setenv("ZC_EXPERTS_HOST", "0.0.0.0")
    intake = IntakeSettings()
    assert (intake.port, intake.abandon_interval_seconds) == (9101, 7.5)
    # One service's variables are not another's, and the shared base keeps its own default.
    assert (ExpertsSettings().host, ExpertsSettings().port, ServiceSettings().port) == ("0.0.0.0", 8003, 8000)
    assert MIGRATIONS_DIR.parts[-3:] == ("services", "intake", "migrations")
    assert (MIGRATIONS_DIR / "env.py").is_file()
