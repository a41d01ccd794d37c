"""The security pages in a real browser: setting up an authenticator app from its QR code, then
signing in without the phone with a recovery code, a new password (its strength meter live)
and a new app. The ``page`` fixture fails the test on any Content-Security-Policy violation,
so the QR code's ``data:`` image and the meter's script are checked against the real policy."""

from __future__ import annotations

import json
import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from idp.sandbox import SANDBOX
from tests.e2e.conftest import Demo, run_idp

pytestmark = pytest.mark.e2e

PASSWORD = "a passphrase for the security pages"
NEW_PASSWORD = "mango lantern river harbour"


def _new_account(demo: Demo) -> str:
    """A generated citizen's new account, password only. From the middle of the registry's
    list: the procedures test takes citizens from its start and the lab from its end."""
    listed = json.loads(run_idp(demo, "population", "list", "--limit", "150", "--json"))
    sandbox = {account.record.citizen_id for account in SANDBOX}
    citizen_id = next(c["citizen_id"] for c in listed[120:] if c["citizen_id"] not in sandbox)
    run_idp(demo, "accounts", "create", citizen_id, "--password-stdin", stdin=PASSWORD + "\n")
    return str(citizen_id)


def _sign_in(page: Page, citizen_id: str, password: str) -> None:
    page.fill("input[name=citizen_id]", citizen_id)
    page.fill("input[name=password]", password)
    page.keyboard.press("Enter")


def _set_up_app(page: Page) -> list[str]:
    """Scan (read) the QR page's secret, confirm with the app's code; the codes shown."""
    qr = page.locator("img.qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.naturalWidth") > 0
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.fill("input[name=otp]", pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    shown = page.locator(".recovery-codes code")
    expect(shown).to_have_count(10)
    return shown.all_inner_texts()


def test_set_up_an_app_then_recover_without_the_phone(demo: Demo, page: Page) -> None:
    citizen_id = _new_account(demo)
    page.goto(demo.issuer + "/account/security/totp")
    _sign_in(page, citizen_id, PASSWORD)
    expect(page).to_have_url(demo.issuer + "/account/security/totp")
    codes = _set_up_app(page)
    page.click("a[data-action=continue]")
    expect(page).to_have_url(demo.issuer + "/account/security")

    # The phone is lost: a change asks for both factors, and a recovery code stands in.
    page.goto(demo.issuer + "/account/security/password")
    _sign_in(page, citizen_id, PASSWORD)
    expect(page).to_have_url(re.compile(r"/otp$"))
    page.click("a[data-action=use-recovery-code]")
    page.fill("input[name=recovery_code]", codes[0].lower())
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/new-password$"))
    meter = page.locator("[data-strength-for=new_password] meter")
    page.fill("input[name=new_password]", "short")
    assert meter.evaluate("m => m.value") == 1
    page.fill("input[name=new_password]", NEW_PASSWORD)
    assert meter.evaluate("m => m.value") >= 3
    page.fill("input[name=confirm_password]", NEW_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/new-authenticator$"))
    _set_up_app(page)
    page.click("a[data-action=continue]")
    expect(page).to_have_url(demo.issuer + "/account/security/password")
