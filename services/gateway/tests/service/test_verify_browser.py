"""The /verify page driven in a real headless Chromium (Debian's), in front of the real certificates service:
valid shows valid, revoked shows revoked with its date, a wrong name shows no holder data; the page
asks nothing of any other origin and its Content-Security-Policy refuses nothing it needs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, under_uvicorn, wait_until
from zhicheng_gateway.settings import GatewaySettings

from .conftest import running_gateway
from .verify_helpers import (
    CertificatesProcess,
    china_date_of_today,
    issue_certificate,
    revoke,
)

pytestmark = pytest.mark.service


@dataclass
class Site:
    base: str
    gateway: Any


@dataclass
class Visit:
    """A browser page, every request it made and every console message it printed."""

    page: Any
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


@pytest.fixture
async def site(
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
    certificates_service: CertificatesProcess,
) -> AsyncIterator[Site]:
    """The gateway under a real uvicorn (the browser needs a socket), the certificates service behind it."""
    settings = gateway_settings(certificates_url=certificates_service.url, verify_poll_seconds=0.1)
    async with running_gateway(gateway_schema, settings) as running, under_uvicorn(running.app) as port:
        yield Site(f"http://127.0.0.1:{port}", running)


@contextlib.asynccontextmanager
async def visiting(chromium: Any) -> AsyncIterator[Visit]:
    # A phone's viewport: the page is laid out for it first.
    context = await chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = await context.new_page()
    visit = Visit(page)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("console", lambda message: visit.console.append(f"{message.type}: {message.text}"))
    try:
        yield visit
    finally:
        await context.close()


def only_its_own_origin(visit: Visit, base: str) -> None:
    assert visit.requests, "the page was never requested"
    assert [url for url in visit.requests if not url.startswith(base + "/")] == []
    # A style the policy refused, or anything else it blocked, shows up on the console.
    assert [line for line in visit.console if "Content Security Policy" in line] == []


async def checks_of(page: Any) -> dict[str, str]:
    items = await page.locator("ul.checks li").all()
    return {await li.get_attribute("data-check"): await li.get_attribute("data-outcome") for li in items}


async def test_CE_3_in_chromium_the_qr_url_of_a_valid_certificate_shows_valid_and_each_check(
    site: Site,
    chromium: Any,
    js: Any,
    zc_settings: CommonSettings,
) -> None:
    issued = await issue_certificate(js, zc_settings, name="欧阳修")
    async with visiting(chromium) as visit:
        await visit.page.goto(f"{site.base}/verify?t={issued.token}")
        assert await visit.page.locator("#verdict").inner_text() == "证书有效"
        assert await checks_of(visit.page) == {
            "form": "passed",
            "signature_sm2": "passed",
            "signature_ed25519": "passed",
            "issuer_key_valid_at_issue": "passed",
            "status": "passed",
        }
        assert await visit.page.locator('[data-field="number"]').inner_text() == issued.number
        assert await visit.page.locator('[data-field="titleName"]').inner_text() == "正高级工程师"
        assert await visit.page.locator('[data-field="level"]').inner_text() == "正高级"
        # The inline style sheet applied under the policy: the button is the page's red.
        color = await visit.page.locator("#submit").evaluate("b => getComputedStyle(b).backgroundColor")
        assert color == "rgb(183, 28, 28)"
        text = await visit.page.locator("body").inner_text()
        assert issued.resident_id not in text
        assert "欧阳修" not in text  # the token carries the masked name only
        only_its_own_origin(visit, site.base)


async def test_CE_3_in_chromium_a_revoked_certificate_shows_revoked_with_its_date(
    site: Site,
    chromium: Any,
    js: Any,
    zc_settings: CommonSettings,
    zc_keys: TestKeys,
    certificates_service: CertificatesProcess,
) -> None:
    issued = await issue_certificate(js, zc_settings, name="苏轼")
    async with visiting(chromium) as visit:
        # Checked once while valid (the answer is cached), then revoked: the page must say so.
        await visit.page.goto(f"{site.base}/verify?t={issued.token}")
        assert await visit.page.locator("#verdict").inner_text() == "证书有效"
        await revoke(certificates_service, zc_keys, issued.number)

        async def says_revoked() -> bool | None:
            await visit.page.goto(f"{site.base}/verify")
            await visit.page.fill("#number", issued.number)
            await visit.page.fill("#name", "苏轼")
            await visit.page.click("#submit")
            return await visit.page.locator("#verdict").inner_text() == "证书已撤销" or None

        await wait_until(says_revoked, timeout=10, what="the page says revoked")
        status = visit.page.locator('li[data-check="status"]')
        assert await status.get_attribute("data-outcome") == "failed"
        assert f"证书已于 {china_date_of_today()} 撤销" in await status.inner_text()
        # The signatures still hold: it is the status that fails.
        assert (await checks_of(visit.page))["signature_sm2"] == "passed"
        assert await visit.page.locator('[data-field="holderName"]').inner_text() == "苏轼"
        only_its_own_origin(visit, site.base)


async def test_CE_3_in_chromium_a_wrong_name_shows_no_holder_data_and_runs_nothing_typed(
    site: Site,
    chromium: Any,
    js: Any,
    zc_settings: CommonSettings,
) -> None:
    issued = await issue_certificate(js, zc_settings, name="辛弃疾")
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    async with visiting(chromium) as visit:
        await visit.page.goto(f"{site.base}/verify")
        await visit.page.fill("#number", issued.number)
        await visit.page.fill("#name", attack)
        await visit.page.click("#submit")
        assert await visit.page.locator("#verdict").inner_text() == "未找到与所填信息相符的证书"
        assert await visit.page.locator("ul.checks li").count() == 0
        assert await visit.page.locator("dl.fields").count() == 0
        text = await visit.page.locator("body").inner_text()
        for holder_data in ("辛弃疾", "辛*", "正高级工程师", "工程技术", issued.resident_id):
            assert holder_data not in text
        assert await visit.page.evaluate("() => window.__pwned") is None
        assert await visit.page.locator("img").count() == 0
        only_its_own_origin(visit, site.base)
