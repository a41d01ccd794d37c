"""The citizen's journeys in Chromium against `idp demo`, as a person would take them: the
keyboard alone through a whole sign-in, a step-up in the middle of a procedure, a refused
consent, signing out from the portal and from the provider, withdrawing a portal's consent,
and a lock-out that says when to try again.

test_portal_procedures.py checks the protocol of the same flows (the parameters sent, the
redirects) with an HTTP client; here the pages are checked as they are shown. Each journey
uses its own new account, made with `idp accounts create`, from a slice of the generated
citizens that no other module takes, so no one-time code or lock-out is shared.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyotp
import pytest
from playwright.sync_api import Page, Response, expect

from idp import create_app
from idp.cli import main
from idp.extensions import db
from idp.sandbox import SANDBOX
from tests.e2e.conftest import Demo

Operator = Callable[..., str]

pytestmark = pytest.mark.e2e

PASSWORD = "a journey through the pages 2026"
SANDBOX_IDS = {account.record.citizen_id for account in SANDBOX}
# Presses of Tab allowed to reach a control: a page's header, language links and skip link.
MAX_TABS = 25
BACKCHANNEL_WAIT_SECONDS = 15


@dataclass(frozen=True)
class Account:
    citizen_id: str
    totp: pyotp.TOTP | None


@pytest.fixture(scope="module")
def operator(demo: Demo) -> Iterator[Operator]:
    """The `idp` command against the demo's instance, run in this process: the same commands
    as ``run_idp``, without starting Python for each (seconds apiece on a busy machine)."""
    app = create_app(demo.environ)
    runner = app.test_cli_runner()

    def run(*args: str, stdin: str | None = None) -> str:
        done = runner.invoke(main, list(args), input=stdin)
        assert done.exit_code == 0, done.output
        return done.stdout

    yield run
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def free_citizens(operator: Operator) -> Iterator[str]:
    """Generated citizens without an account: the registry's list from 160 to 200, which the
    other modules leave alone (they take the start, 120 onwards, 250 and the end)."""
    listed = json.loads(operator("population", "list", "--limit", "200", "--json"))
    return iter([c["citizen_id"] for c in listed[160:] if c["citizen_id"] not in SANDBOX_IDS])


def _new_account(operator: Operator, free_citizens: Iterator[str], *, totp: bool) -> Account:
    citizen_id = next(free_citizens)
    args = ["accounts", "create", citizen_id, "--password-stdin", "--json"]
    made = json.loads(operator(*args, *(["--with-totp"] if totp else []), stdin=PASSWORD))
    return Account(citizen_id, pyotp.parse_uri(made["otpauth_uri"]) if totp else None)


@pytest.fixture
def loa1_account(operator: Operator, free_citizens: Iterator[str]) -> Account:
    """Password only: signs in at loa1."""
    return _new_account(operator, free_citizens, totp=False)


@pytest.fixture
def totp_account(operator: Operator, free_citizens: Iterator[str]) -> Account:
    """Password and an authenticator app: loa2 when a portal asks for it."""
    return _new_account(operator, free_citizens, totp=True)


def _code(account: Account) -> str:
    assert account.totp is not None
    return account.totp.now()


def _enter_password(page: Page, account: Account, password: str = PASSWORD) -> None:
    page.fill("input[name=citizen_id]", account.citizen_id)
    page.fill("input[name=password]", password)
    page.keyboard.press("Enter")


def _start_procedure(page: Page, demo: Demo, slug: str) -> None:
    page.goto(f"{demo.portal}/procedures/{slug}")
    page.click("a[data-action=start-procedure]")


def _signed_in_for_a_certificate_copy(page: Page, demo: Demo, account: Account) -> None:
    """At loa1, through the consent page unless the consent is remembered: the portal's
    procedure page, ready."""
    done = f"{demo.portal}/procedures/certificate-copy"
    _start_procedure(page, demo, "certificate-copy")
    _enter_password(page, account)
    page.wait_for_url(re.compile(f"{re.escape(done)}$|/consent/"))
    if "/consent/" in page.url:
        page.click("button[name=decision][value=allow]")
    expect(page).to_have_url(done)
    expect(page.locator("[data-signed-in-acr]")).to_have_text("loa1")


def _portal_shows_signed_out(page: Page, demo: Demo) -> None:
    """The portal's own page of the citizen now sends a visitor home, to sign in."""
    page.goto(f"{demo.portal}/me")
    expect(page).to_have_url(f"{demo.portal}/")
    expect(page.locator("a[data-action=sign-in]")).to_be_visible()


def _audit_events(operator: Operator, account: Account) -> list[str]:
    exported = operator("audit", "export", "--citizen", account.citizen_id)
    return [json.loads(line)["event"] for line in exported.splitlines()]


# --- The keyboard alone (WCAG 2.2 SC 2.1.1 Keyboard) -------------------------------------------


def _focused(page: Page) -> str:
    """What has the focus, as a CSS-like description: tag, name, value, data-action."""
    return str(
        page.evaluate(
            """() => {
              const e = document.activeElement;
              if (!e || e === document.body) return "body";
              const part = (attribute) =>
                e.hasAttribute(attribute) ? `[${attribute}=${e.getAttribute(attribute)}]` : "";
              return e.tagName.toLowerCase() + part("name") + part("value") + part("data-action");
            }"""
        )
    )


def _has_focus(page: Page, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement.matches(s)", selector))


def _tab_to(page: Page, selector: str) -> None:
    """Press Tab until the control ``selector`` has the focus, as a keyboard user moves through
    a page; fail when it is never reached."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if _has_focus(page, selector):
            return
        seen.append(_focused(page))
    pytest.fail(f"Tab never reached {selector} on {page.url}; focus went {seen}")


def test_a_whole_sign_in_with_the_keyboard_alone(
    demo: Demo, page: Page, totp_account: Account
) -> None:
    page.goto(demo.portal + "/")
    _tab_to(page, "a[data-action=sign-in]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(demo.issuer + "/signin/")))

    _tab_to(page, "input[name=citizen_id]")
    page.keyboard.type(totp_account.citizen_id)
    page.keyboard.press("Tab")
    assert _has_focus(page, "input[name=password]"), _focused(page)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/signin/[^/]+/otp$"))
    _tab_to(page, "input[name=otp]")
    page.keyboard.type(_code(totp_account))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/consent/"))
    _tab_to(page, "button[name=decision][value=allow]")
    page.keyboard.press("Space")

    expect(page).to_have_url(demo.portal + "/me")
    expect(page.locator("dd[data-claim=citizen_id]")).to_have_text(totp_account.citizen_id)
    # The portal's page can be left by keyboard too.
    _tab_to(page, "button[data-action=sign-out]")


# --- Step-up in the middle of a procedure ------------------------------------------------------


def test_a_loa2_procedure_asks_a_loa1_session_for_the_one_time_code(
    demo: Demo, page: Page, operator: Operator, totp_account: Account
) -> None:
    _signed_in_for_a_certificate_copy(page, demo, totp_account)

    # Vehicle registration needs two factors: the provider asks only for the missing one.
    _start_procedure(page, demo, "vehicle-registration")
    expect(page).to_have_url(re.compile(r"/signin/[^/]+/otp$"))
    expect(page.locator("input[name=password]")).to_have_count(0)
    page.fill("input[name=otp]", _code(totp_account))
    page.keyboard.press("Enter")
    # The new data (vehicles) needs the citizen's consent on top of the remembered one.
    expect(page).to_have_url(re.compile(r"/consent/"))
    page.click("button[name=decision][value=allow]")

    expect(page).to_have_url(f"{demo.portal}/procedures/vehicle-registration")
    expect(page.locator("[data-signed-in-acr]")).to_have_text("loa2")
    expect(page.locator("form.application")).to_be_visible()
    assert "citizen:stepup:success" in _audit_events(operator, totp_account)


# --- A refused consent -------------------------------------------------------------------------


def test_a_refused_consent_is_shown_by_the_portal_and_releases_nothing(
    demo: Demo, page: Page, operator: Operator, loa1_account: Account
) -> None:
    _start_procedure(page, demo, "certificate-copy")
    _enter_password(page, loa1_account)
    page.click("button[name=decision][value=deny]")

    expect(page).to_have_url(re.compile(re.escape(f"{demo.portal}/callback")))
    expect(page.locator("[data-error-code]")).to_have_text("access_denied")
    expect(page.locator(".message")).to_contain_text("từ chối")
    _portal_shows_signed_out(page, demo)
    events = _audit_events(operator, loa1_account)
    assert "consent:grant:refused" in events
    assert not [event for event in events if event.startswith("claims:release:")], events


# --- Signing out -------------------------------------------------------------------------------


def test_signing_out_at_the_portal_then_at_the_provider(
    demo: Demo, page: Page, loa1_account: Account
) -> None:
    # RP-initiated logout: the portal's button ends both sessions and comes back.
    _signed_in_for_a_certificate_copy(page, demo, loa1_account)
    page.click("button[data-action=sign-out]")
    expect(page).to_have_url(re.compile(re.escape(f"{demo.portal}/logged-out?")))
    expect(page.locator("[data-signed-out]")).to_be_visible()
    _portal_shows_signed_out(page, demo)
    page.goto(f"{demo.issuer}/account/sessions")
    expect(page).to_have_url(re.compile(re.escape(demo.issuer + "/signin/")))

    # Back-channel logout: signed in again, the citizen ends every session from the provider's
    # account pages; the provider tells the portal, whose session ends too.
    _signed_in_for_a_certificate_copy(page, demo, loa1_account)
    page.goto(f"{demo.issuer}/account/sessions")
    expect(page).to_have_url(f"{demo.issuer}/account/sessions")
    page.click("button[data-action=end-all-sessions]")
    deadline = time.monotonic() + BACKCHANNEL_WAIT_SECONDS
    page.goto(f"{demo.portal}/me")
    while page.url != f"{demo.portal}/":
        assert time.monotonic() < deadline, "the portal's session outlived the provider's"
        page.wait_for_timeout(200)
        page.goto(f"{demo.portal}/me")
    expect(page.locator("a[data-action=sign-in]")).to_be_visible()


# --- Withdrawing a portal's consent ------------------------------------------------------------


def test_withdrawing_consent_in_the_account_pages_cuts_the_portal_off(
    demo: Demo, page: Page, operator: Operator, loa1_account: Account
) -> None:
    _signed_in_for_a_certificate_copy(page, demo, loa1_account)
    page.goto(f"{demo.portal}/me")
    page.click("button[data-action=refresh-userinfo]")
    expect(page).to_have_url(f"{demo.portal}/me")  # the portal still has access

    page.goto(f"{demo.issuer}/account/services")
    withdraw = page.locator("button[data-action=revoke-consent]")
    expect(withdraw).to_have_count(1)
    withdraw.click()
    expect(page).to_have_url(f"{demo.issuer}/account/services")
    expect(page.locator("button[data-action=revoke-consent]")).to_have_count(0)

    # The portal's next request for the data is refused, and it says so.
    page.goto(f"{demo.portal}/me")
    with page.expect_response(f"{demo.portal}/me/refresh") as answer:
        page.click("button[data-action=refresh-userinfo]")
    assert answer.value.status == 401
    expect(page.locator("[data-error-code]")).to_have_text("invalid_token")
    expect(page.locator(".message")).to_contain_text("rút lại sự đồng ý")
    _portal_shows_signed_out(page, demo)
    assert "consent:grant:revoked" in _audit_events(operator, loa1_account)


# --- Lock-out ----------------------------------------------------------------------------------


def _form_post(response: Response) -> bool:
    """The answer to a submitted form, not to the passkey script's requests."""
    return response.request.method == "POST" and response.request.resource_type == "document"


def test_repeated_wrong_passwords_lock_the_account_and_say_until_when(
    demo: Demo, page: Page, loa1_account: Account
) -> None:
    _start_procedure(page, demo, "certificate-copy")
    statuses = []
    for attempt in range(5):  # IDP_LOCKOUT_THRESHOLD's default: the fifth starts a lock-out
        with page.expect_response(_form_post) as answer:
            _enter_password(page, loa1_account, f"not the password {attempt}")
        statuses.append(answer.value.status)
    assert statuses == [401, 401, 401, 401, 429]
    refusal = page.locator("#form-error")
    expect(refusal).to_contain_text(re.compile(r"\d{1,2}:\d{2}"))  # the time to try again at

    # Locked: even the right password is refused (RFC 6585 §4), with the same message.
    with page.expect_response(_form_post) as answer:
        _enter_password(page, loa1_account)
    assert answer.value.status == 429
    assert int(answer.value.headers["retry-after"]) > 0
    expect(refusal).to_contain_text(re.compile(r"\d{1,2}:\d{2}"))
    expect(page).to_have_url(re.compile(re.escape(demo.issuer + "/signin/")))
