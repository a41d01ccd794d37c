"""The foundation journey in a real browser: Debian's Chromium driven by Playwright, against
`idp demo`. A page that breaks the Content-Security-Policy fails the test."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from idp.sandbox import SANDBOX
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e


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
