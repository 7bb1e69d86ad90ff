"""Settings refuse placeholder secrets outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from zhicheng_common.settings import CommonSettings


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
