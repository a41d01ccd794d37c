"""Accessibility in a real browser (WCAG 2.2 AA): axe-core scans every page a citizen or a
portal developer can reach, in Vietnamese and in English, with its error states; forms move the
focus to their errors; the main pages reflow at 320 CSS pixels.

axe-core comes from the PyPI package ``axe-playwright-python`` (its bundled ``axe.min.js``; the
version is in ``docs/accessibility.md``). It is put into each page with ``page.evaluate``, which
runs through the DevTools protocol and so is not subject to the page's Content-Security-Policy:
the policies stay strict and the ``page`` fixture still fails a test on any CSP violation.

Citizens: generated ones from the middle of the registry's list (from index 200), which the other
e2e modules do not take.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from idp.notify.notifier import Contact
from idp.population.registry import phone_in_e164
from idp.sandbox import SANDBOX
from tests.e2e.conftest import Demo, run_idp

pytestmark = pytest.mark.e2e

AXE_SOURCE = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
# Violations of these impacts fail the test; axe rates every WCAG A/AA failure it is sure of
# as serious or critical (colour contrast, names of controls and links, labels, ARIA misuse).
BLOCKING = {"serious", "critical"}
# WCAG 2.2 SC 1.4.10 Reflow: content fits 320 CSS pixels without scrolling in two directions.
NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}
PASSWORD = "An accessible e2e password 2026"
NEW_PASSWORD = "copper meadow lantern violin"
SANDBOX_IDS = {account.record.citizen_id for account in SANDBOX}


@dataclass
class Scanner:
    """Runs axe-core on the page as it is now and keeps what blocks, per page label; then
    narrows the window to 320 CSS pixels and keeps a page that scrolls sideways."""

    page: Page
    found: list[str] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)

    def scan(self, label: str) -> None:
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(AXE_SOURCE)
        results: dict[str, Any] = self.page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']})"
        )
        self.scanned.append(label)
        for violation in results["violations"]:
            if violation["impact"] in BLOCKING:
                targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
                self.found.append(
                    f"{label} ({self.page.url}): {violation['id']} [{violation['impact']}] "
                    f"{violation['help']} at {targets}"
                )
        self.page.set_viewport_size(NARROW)
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW["width"]:
            self.found.append(f"{label} ({self.page.url}): {width} CSS pixels wide at 320")
        self.page.set_viewport_size(WIDE)

    def check(self) -> None:
        assert self.scanned
        assert not self.found, "\n".join(self.found)


@pytest.fixture(scope="module")
def citizens(demo: Demo) -> Iterator[dict[str, str]]:
    listed = json.loads(run_idp(demo, "population", "list", "--limit", "400", "--json"))
    generated = [c for c in listed if c["citizen_id"] not in SANDBOX_IDS]
    return iter(generated[200:])


@pytest.fixture(params=["vi-VN", "en-GB"])
def browser_locale(request: pytest.FixtureRequest) -> str:
    """Every page in both languages: the ``page`` fixture's browser asks for this one."""
    return str(request.param)


@pytest.fixture
def scanner(page: Page) -> Scanner:
    """A scanner on the ``page`` fixture, so CSP violations still fail the test."""
    page.set_viewport_size(WIDE)
    return Scanner(page)


def _account(demo: Demo, citizen: dict[str, str], *, with_totp: bool) -> str | None:
    """An account for ``citizen``; its TOTP secret when asked for one."""
    options = ["--with-totp"] if with_totp else []
    created = json.loads(
        run_idp(
            demo,
            "accounts",
            "create",
            citizen["citizen_id"],
            "--password-stdin",
            *options,
            "--json",
            stdin=PASSWORD + "\n",
        )
    )
    if not with_totp:
        return None
    secret = pyotp.parse_uri(created["otpauth_uri"]).secret
    return str(secret)


def _focused(page: Page) -> str:
    """The id of the element that has the keyboard focus, once the page has moved it."""
    page.wait_for_function("() => document.activeElement !== document.body")
    return str(page.evaluate("() => document.activeElement.id"))


def _submit(page: Page) -> None:
    page.click("main form[method=post] button[type=submit].primary")


def _sign_in(page: Page, citizen_id: str, password: str) -> None:
    page.fill("input[name=citizen_id]", citizen_id)
    page.fill("input[name=password]", password)
    _submit(page)


def test_public_pages(
    demo: Demo, scanner: Scanner, citizens: Iterator[dict[str, str]], browser_locale: str
) -> None:
    page = scanner.page
    for url in (demo.issuer + "/portals", demo.portal + "/"):
        policy = page.request.get(url).headers["content-security-policy"]
        assert "default-src 'none'" in policy, policy
        assert "'unsafe-inline'" not in policy, policy

    page.goto(demo.issuer + "/portals")
    assert page.locator("html").get_attribute("lang") == browser_locale[:2]
    logo = page.locator("img.portal-logo").first
    assert logo.evaluate("image => image.naturalWidth") > 0
    assert logo.get_attribute("alt") == "Cổng Dịch vụ công (demo)"
    served = page.request.get(str(logo.evaluate("image => image.src")))
    assert served.headers["content-type"] == "image/svg+xml"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"

    # WCAG 2.2 SC 2.4.1: the first Tab reaches the skip link, which leads to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")

    for path, label in [
        ("/portals", "register of portals"),
        ("/dev/outbox", "outbox"),
        ("/no-such-page", "not found"),
        ("/signin/no-such-transaction", "expired sign-in"),
    ]:
        page.goto(demo.issuer + path)
        scanner.scan(label)

    page.goto(demo.portal + "/")
    scanner.scan("portal home")
    for slug in page.locator("[data-procedure]").evaluate_all(
        "items => items.map(item => item.dataset.procedure)"
    ):
        page.goto(f"{demo.portal}/procedures/{slug}")
        scanner.scan(f"procedure {slug}")
    page.goto(demo.portal + "/procedures/no-such-procedure")
    scanner.scan("portal not found")
    page.goto(demo.portal + "/logged-out?state=forged")
    scanner.scan("portal error")
    page.goto(demo.portal + "/lab/")
    scanner.scan("security lab")

    # Activation, each step with its errors first.
    citizen = next(citizens)
    page.goto(demo.issuer + "/activate")
    scanner.scan("activation details")
    _submit(page)
    assert _focused(page) == "citizen_id"  # the first refused field
    scanner.scan("activation details, with errors")
    names = (citizen["family_name"], citizen["middle_name"], citizen["given_name"])
    page.fill("input[name=citizen_id]", citizen["citizen_id"])
    page.fill("input[name=birth_date]", citizen["birth_date"])
    page.fill("input[name=full_name]", " ".join(name for name in names if name))
    _submit(page)
    expect(page).to_have_url(demo.issuer + "/activate/code")
    scanner.scan("activation code")
    page.fill("input[name=otp]", "00000000")
    _submit(page)
    scanner.scan("activation code, wrong")
    if citizen["phone"]:
        contact = Contact("sms", phone_in_e164(citizen["phone"]))
    else:
        contact = Contact("email", citizen["email"])
    outbox = page.context.new_page()
    outbox.goto(demo.issuer + "/dev/outbox")
    body = outbox.locator(f"article[data-to='{contact.address}'] [data-body]").first.inner_text()
    outbox.close()
    code = re.search(r"\b\d{8}\b", body)
    assert code is not None, body
    page.fill("input[name=otp]", code.group(0))
    _submit(page)
    expect(page).to_have_url(demo.issuer + "/activate/password")
    scanner.scan("activation password")
    page.fill("input[name=password]", "short")
    page.fill("input[name=password_confirm]", "other")
    _submit(page)
    assert _focused(page) == "password"  # described by the password rule it broke
    scanner.scan("activation password, with errors")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=password_confirm]", NEW_PASSWORD)
    _submit(page)
    expect(page).to_have_url(demo.issuer + "/activate/done")
    scanner.scan("activation done")
    scanner.check()


def test_portal_sign_in_consent_and_procedure(
    demo: Demo, scanner: Scanner, citizens: Iterator[dict[str, str]]
) -> None:
    page = scanner.page
    citizen = next(citizens)
    secret = _account(demo, citizen, with_totp=True)
    assert secret
    # A loa2 procedure: the password, then the one-time code.
    page.goto(demo.portal + "/procedures/driving-licence")
    page.click("a[data-action=start-procedure]")
    expect(page.locator("[data-action=passkey-login]")).to_be_visible()
    scanner.scan("sign-in: password, with the passkey button")
    _sign_in(page, citizen["citizen_id"], "not the password at all")
    assert _focused(page) == "citizen_id"  # described by the message, which a reader reads
    scanner.scan("sign-in: password, refused")
    _sign_in(page, citizen["citizen_id"], PASSWORD)
    expect(page.locator("input[name=otp]")).to_be_visible()
    scanner.scan("sign-in: one-time code")
    page.fill("input[name=otp]", "000000")
    _submit(page)
    scanner.scan("sign-in: one-time code, refused")
    code_page = page.url.removeprefix(demo.issuer)
    page.click("a[data-action=use-recovery-code]")
    scanner.scan("sign-in: recovery code")
    page.fill("input[name=recovery_code]", "AAAA-BBBB")
    _submit(page)
    scanner.scan("sign-in: recovery code, refused")
    page.click(f"a[href$='{code_page}']")
    page.fill("input[name=otp]", pyotp.TOTP(secret).now())
    _submit(page)
    expect(page.locator("button[name=decision][value=allow]")).to_be_visible()
    expect(page.locator(".portal-heading img")).to_have_attribute("alt", "Cổng Dịch vụ công (demo)")
    scanner.scan("consent")
    page.click("button[name=decision][value=allow]")
    expect(page).to_have_url(demo.portal + "/procedures/driving-licence")
    scanner.scan("procedure, ready")
    page.click("button[data-action=apply]")
    first_invalid = page.locator("form.application [aria-invalid=true]").first
    assert _focused(page) == first_invalid.get_attribute("id")
    scanner.scan("procedure form, with errors")
    for select in page.locator("form.application select").all():
        select.select_option(index=1)
    for text in page.locator("form.application input:not([readonly]):not([type=hidden])").all():
        text.fill("Một giá trị")
    page.click("button[data-action=apply]")
    expect(page).to_have_url(re.compile(r"/received"))
    scanner.scan("procedure received")
    page.goto(demo.portal + "/me")
    scanner.scan("portal: my data")
    page.goto(demo.portal + "/inspector")
    scanner.scan("portal: token inspector")

    page.goto(demo.issuer + "/logout")
    scanner.scan("logout: confirm")
    page.click("button[name=decision][value=stay]")
    scanner.scan("logout: stayed")
    page.goto(demo.portal + "/me")
    page.click("button[data-action=sign-out]")
    expect(page).to_have_url(re.compile(re.escape(demo.portal + "/logged-out")))
    scanner.scan("portal: signed out")
    page.goto(demo.issuer + "/logout")  # no session left: nothing to confirm
    scanner.scan("logout: done")
    scanner.check()


def test_account_pages_and_recovery(
    demo: Demo, scanner: Scanner, citizens: Iterator[dict[str, str]]
) -> None:
    page = scanner.page
    citizen = next(citizens)
    _account(demo, citizen, with_totp=False)
    page.goto(demo.issuer + "/account")
    scanner.scan("account: sign-in")
    _sign_in(page, citizen["citizen_id"], PASSWORD)
    expect(page).to_have_url(demo.issuer + "/account")
    scanner.scan("account")
    for path in ["services", "history", "sign-ins", "sessions", "security", "passkeys"]:
        page.goto(f"{demo.issuer}/account/{path}")
        scanner.scan(f"account: {path}")
    page.goto(demo.issuer + "/account/passkeys/new")
    expect(page.locator("[data-action=passkey-register]")).to_be_visible()
    scanner.scan("account: new passkey")

    page.goto(demo.issuer + "/account/security/password")
    scanner.scan("account: password")
    page.fill("input[name=current_password]", "wrong")
    page.fill("input[name=new_password]", "short")
    _submit(page)
    assert _focused(page) == "current_password"
    scanner.scan("account: password, with errors")

    page.goto(demo.issuer + "/account/security/totp")
    scanner.scan("account: authenticator app")
    page.fill("input[name=otp]", "000000")
    _submit(page)
    scanner.scan("account: authenticator app, wrong code")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.fill("input[name=otp]", pyotp.TOTP(secret).now())
    _submit(page)
    codes = page.locator(".recovery-codes code")
    expect(codes).to_have_count(10)
    scanner.scan("account: recovery codes")
    recovery_code = codes.first.inner_text()
    page.click("a[data-action=continue]")
    scanner.scan("account: security, with an app")

    # The phone lost: a change asks for both factors, and a recovery code stands in; then a
    # new password and a new app.
    page.goto(demo.issuer + "/account/security/password")
    _sign_in(page, citizen["citizen_id"], PASSWORD)
    page.click("a[data-action=use-recovery-code]")
    page.fill("input[name=recovery_code]", recovery_code)
    _submit(page)
    expect(page).to_have_url(re.compile(r"/new-password$"))
    scanner.scan("recovery: new password")
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=confirm_password]", "something else")
    _submit(page)
    assert _focused(page) == "confirm_password"
    scanner.scan("recovery: new password, with errors")
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=confirm_password]", NEW_PASSWORD)
    _submit(page)
    expect(page).to_have_url(re.compile(r"/new-authenticator$"))
    scanner.scan("recovery: new authenticator")
    page.fill("input[name=otp]", "000000")
    _submit(page)
    scanner.scan("recovery: new authenticator, wrong code")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.fill("input[name=otp]", pyotp.TOTP(secret).now())
    _submit(page)
    page.click("a[data-action=continue]")
    expect(page).to_have_url(demo.issuer + "/account/security/password")

    page.goto(demo.issuer + "/account/sign-ins")
    page.click("button[data-action=not-me]")
    scanner.scan("account: signed out everywhere")
    page.goto(demo.issuer + "/account/signed-out")
    scanner.scan("account: signed out")
    scanner.check()


def test_the_scanner_reports_what_blocks(page: Page) -> None:
    """The checks can fail: a picture without text, a button without a name, and a box wider
    than the screen."""
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<img src="data:,"><button></button><div class="wide">x</div></main></body></html>'
    )
    page.add_style_tag(content=".wide { width: 400px; }")
    scanner = Scanner(page)
    scanner.scan("a broken page")
    with pytest.raises(AssertionError) as failed:
        scanner.check()
    for expected in ["image-alt [critical]", "button-name [critical]", "CSS pixels wide at 320"]:
        assert expected in str(failed.value)
