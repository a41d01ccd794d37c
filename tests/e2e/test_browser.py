"""The foundation journey in a real browser: Debian's Chromium driven by Playwright, against
`idp demo`. A page that breaks the Content-Security-Policy fails the test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

from idp.sandbox import SANDBOX
from tests.e2e.conftest import FAILED, Demo

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path("test-artifacts")
# This machine has no network beyond loopback: keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(request: pytest.FixtureRequest) -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium package is not installed (.ci/run installs it)")
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="vi-VN")
        current = context.new_page()
        current.on("console", watch)
        yield current
        if request.node.stash.get(FAILED, False):
            ARTEFACTS.mkdir(exist_ok=True)
            current.screenshot(path=str(ARTEFACTS / f"{request.node.name}.png"), full_page=True)
        browser.close()
    assert not violations, violations


def test_sign_in_with_password_code_and_consent_in_chromium(demo: Demo, page: Page) -> None:
    sandbox = SANDBOX[1]
    assert sandbox.totp_secret
    page.goto(demo.portal + "/")
    page.click("a[data-action=sign-in]")
    expect(page).to_have_url(re.compile(re.escape(demo.issuer + "/signin/")))
    page.fill("input[name=citizen_id]", sandbox.record.citizen_id)
    page.fill("input[name=password]", sandbox.password)
    page.keyboard.press("Enter")
    page.fill("input[name=otp]", pyotp.TOTP(sandbox.totp_secret).now())
    page.keyboard.press("Enter")
    page.click("button[name=decision][value=allow]")
    expect(page).to_have_url(demo.portal + "/me")
    expect(page.locator("dd[data-claim=name]")).to_have_text("Trần Thị Bình")
    expect(page.locator("dd[data-claim=citizen_id]")).to_have_text(sandbox.record.citizen_id)
    expect(page.locator("dd[data-claim=birthdate]")).to_have_attribute("data-value", "1985-11-02")
