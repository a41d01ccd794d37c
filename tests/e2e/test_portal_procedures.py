"""The demo portal's procedures against `idp demo`: step-up, refusals that become clear pages,
RP-initiated logout and back-channel logout, with an HTTP client that follows the pages as a
browser does (forms, cookies, redirects), as test_demo_sign_in.py does.

Which accounts, and why:

- A real step-up needs a provider session at ``loa1`` that later reaches ``loa2`` *as the same
  citizen*. The sandbox accounts cannot show it: those with TOTP always do password and code, so
  they sign in at ``loa2`` from the start, even for a ``loa1`` procedure; the one without TOTP
  (``092078001234``) can never reach ``loa2``. So the step-up test creates a fresh account
  without TOTP (``idp accounts create``, as an operator would), signs in at ``loa1`` for the
  certificate copy, then gives the account an authenticator (there is no self-service page for
  that yet, so the test enrols the secret in the demo's database, as the account portal will),
  and starts the driving-licence renewal (``loa2``): the provider asks for the password again and
  then the code, and the portal receives ``acr`` ``loa2``.
- ``092078001234`` (no TOTP) shows ``unmet_authentication_requirements``.
- The other flows (consent denied, logouts) run at ``loa1`` with fresh accounts, so that no test
  here uses a sandbox account's TOTP code, which the provider accepts once per 30-second step
  and which the other e2e modules use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest
import requests
from bs4 import BeautifulSoup

from idp.sandbox import SANDBOX
from tests.e2e.conftest import Demo, form_to_submit, run_idp

pytestmark = pytest.mark.e2e

TIMEOUT = 30
PASSWORD = "A fresh e2e password 2026"
BACKCHANNEL_WAIT_SECONDS = 15
SANDBOX_IDS = {account.record.citizen_id for account in SANDBOX}

# Run with the demo's environment: give an existing account a TOTP authenticator.
ENROL_TOTP = """
import sys
from sqlalchemy import select
from idp import create_app
from idp.accounts.service import enrol_totp
from idp.extensions import db
from idp.models import Account, Citizen

app = create_app()
with app.app_context():
    account = db.session.scalar(
        select(Account).join(Citizen).where(Citizen.citizen_id == sys.argv[1])
    )
    assert account is not None, sys.argv[1]
    enrol_totp(account, sys.argv[2])
"""


def _idp(demo: Demo, *args: str, stdin: str | None = None) -> str:
    return run_idp(demo, *args, stdin=stdin, timeout=TIMEOUT * 2)


@pytest.fixture(scope="module")
def citizens_without_accounts(demo: Demo) -> Iterator[str]:
    listed = json.loads(_idp(demo, "population", "list", "--limit", "60", "--json"))
    return iter([c["citizen_id"] for c in listed if c["citizen_id"] not in SANDBOX_IDS])


@pytest.fixture
def fresh_account(demo: Demo, citizens_without_accounts: Iterator[str]) -> str:
    """A generated citizen's new account: password only, so it signs in at loa1."""
    citizen_id = next(citizens_without_accounts)
    _idp(demo, "accounts", "create", citizen_id, "--password-stdin", stdin=PASSWORD + "\n")
    return citizen_id


def _page(response: requests.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def _submit(
    browser: requests.Session,
    page: requests.Response,
    data: dict[str, str],
    button: tuple[str, str] | None = None,
    selector: str = "form[method=post]",
) -> requests.Response:
    action, fields = form_to_submit(page, data, button, selector)
    return browser.post(action, data=fields, timeout=TIMEOUT)


def _start(browser: requests.Session, demo: Demo, slug: str) -> requests.Response:
    """Open a procedure and press its start button: the provider's page that comes next."""
    procedure = browser.get(f"{demo.portal}/procedures/{slug}", timeout=TIMEOUT)
    start = _page(procedure).select_one("a[data-action=start-procedure]")
    assert start is not None, procedure.text
    return browser.get(urljoin(procedure.url, str(start["href"])), timeout=TIMEOUT)


def _password(
    browser: requests.Session, sign_in: requests.Response, citizen_id: str, password: str = PASSWORD
) -> requests.Response:
    assert "/signin/" in sign_in.url, sign_in.url
    return _submit(browser, sign_in, {"citizen_id": citizen_id, "password": password})


def _allow(browser: requests.Session, consent: requests.Response) -> requests.Response:
    assert "/consent/" in consent.url, consent.text
    return _submit(browser, consent, {}, button=("decision", "allow"))


def _text(page: requests.Response, selector: str) -> str:
    found = _page(page).select_one(selector)
    assert found is not None, f"{selector} not on {page.url}"
    return found.get_text(strip=True)


def _signed_in_at_loa1(browser: requests.Session, demo: Demo, citizen_id: str) -> None:
    done = _allow(
        browser, _password(browser, _start(browser, demo, "certificate-copy"), citizen_id)
    )
    assert done.url == f"{demo.portal}/procedures/certificate-copy", done.text
    assert _text(done, "[data-signed-in-acr]") == "loa1"


def _portal_signed_in(browser: requests.Session, demo: Demo) -> bool:
    me = browser.get(f"{demo.portal}/me", timeout=TIMEOUT, allow_redirects=False)
    return me.status_code == 200


def test_a_loa2_procedure_steps_up_a_loa1_session(demo: Demo, fresh_account: str) -> None:
    browser = requests.Session()
    _signed_in_at_loa1(browser, demo, fresh_account)

    secret = pyotp.random_base32()
    enrolled = subprocess.run(
        [sys.executable, "-c", ENROL_TOTP, fresh_account, secret],
        env={**os.environ, **demo.environ},
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
    )
    assert enrolled.returncode == 0, enrolled.stderr

    sign_in = _start(browser, demo, "driving-licence")
    # The portal asked for loa2, for the same citizen (its ID token as the hint) ...
    asked = parse_qs(urlsplit(sign_in.history[0].headers["Location"]).query)
    assert asked["acr_values"] == ["loa2"]
    assert asked["scope"] == ["openid profile driving_license"]
    assert "id_token_hint" in asked
    # ... and the provider, holding a loa1 session, asks for the password again, then the code.
    assert "/signin/" in sign_in.url, sign_in.url
    otp_page = _password(browser, sign_in, fresh_account)
    assert otp_page.url.endswith("/otp"), otp_page.text
    consent = _submit(browser, otp_page, {"otp": pyotp.TOTP(secret).now()})
    done = _allow(browser, consent)

    assert done.url == f"{demo.portal}/procedures/driving-licence", done.text
    assert _text(done, "[data-signed-in-acr]") == "loa2"
    assert _page(done).select_one("form.application") is not None
    inspector = browser.get(f"{demo.portal}/inspector", timeout=TIMEOUT)
    checks = _page(inspector).select("section[data-token=id_token] [data-check]")
    assert {str(row["data-check"]): str(row["data-passed"]) for row in checks}["acr"] == "true"
    assert all(row["data-passed"] == "true" for row in checks), inspector.text


def test_an_account_without_a_second_factor_gets_a_clear_page(demo: Demo) -> None:
    dung = next(account for account in SANDBOX if account.totp_secret is None)
    browser = requests.Session()
    refused = _password(
        browser, _start(browser, demo, "health-insurance"), dung.record.citizen_id, dung.password
    )
    assert refused.url.startswith(f"{demo.portal}/callback"), refused.url
    assert refused.status_code == 400
    assert _text(refused, "[data-error-code]") == "unmet_authentication_requirements"
    assert "hai lớp" in _text(refused, ".message")
    assert "Traceback" not in refused.text
    retry = _page(refused).select_one("a[data-action=retry]")
    assert retry is not None
    assert retry["href"] == "/procedures/health-insurance"
    assert not _portal_signed_in(browser, demo)


def test_denying_consent_is_a_clear_page(demo: Demo, fresh_account: str) -> None:
    browser = requests.Session()
    consent = _password(browser, _start(browser, demo, "certificate-copy"), fresh_account)
    assert "/consent/" in consent.url, consent.text
    denied = _submit(browser, consent, {}, button=("decision", "deny"))
    assert denied.url.startswith(f"{demo.portal}/callback"), denied.url
    assert denied.status_code == 400
    assert _text(denied, "[data-error-code]") == "access_denied"
    assert "từ chối" in _text(denied, ".message")
    assert not _portal_signed_in(browser, demo)


def test_sign_out_ends_the_portal_and_the_provider_sessions(demo: Demo, fresh_account: str) -> None:
    browser = requests.Session()
    _signed_in_at_loa1(browser, demo, fresh_account)
    me = browser.get(f"{demo.portal}/me", timeout=TIMEOUT)

    signed_out = _submit(browser, me, {}, selector="form[action='/logout']")
    to_provider = urlsplit(signed_out.history[0].headers["Location"])
    assert f"{to_provider.scheme}://{to_provider.netloc}{to_provider.path}" == (
        f"{demo.issuer}/logout"
    )
    asked = parse_qs(to_provider.query)
    assert asked["post_logout_redirect_uri"] == [f"{demo.portal}/logged-out"]
    assert "id_token_hint" in asked
    # The hint names the provider's session: it ends at once and sends the citizen back.
    assert signed_out.url.startswith(f"{demo.portal}/logged-out?"), signed_out.url
    assert parse_qs(urlsplit(signed_out.url).query)["state"] == asked["state"]
    assert signed_out.status_code == 200
    assert _page(signed_out).select_one("[data-signed-out]") is not None

    assert not _portal_signed_in(browser, demo)
    # The provider's session is over too: a procedure asks for the password again.
    assert "/signin/" in _start(browser, demo, "certificate-copy").url


def test_logging_out_at_the_provider_ends_the_portal_session(
    demo: Demo, fresh_account: str, citizens_without_accounts: Iterator[str]
) -> None:
    browser = requests.Session()
    _signed_in_at_loa1(browser, demo, fresh_account)
    bystander_id = next(citizens_without_accounts)
    _idp(demo, "accounts", "create", bystander_id, "--password-stdin", stdin=PASSWORD + "\n")
    bystander = requests.Session()
    _signed_in_at_loa1(bystander, demo, bystander_id)

    # The citizen signs out at the provider itself, not through the portal.
    confirm = browser.get(f"{demo.issuer}/logout", timeout=TIMEOUT)
    assert confirm.url == f"{demo.issuer}/logout"
    done = _submit(browser, confirm, {}, button=("decision", "logout"))
    assert done.status_code == 200

    # The provider POSTs a logout token to the portal from a background thread.
    deadline = time.monotonic() + BACKCHANNEL_WAIT_SECONDS
    while _portal_signed_in(browser, demo):
        assert time.monotonic() < deadline, "the portal session outlived the provider's"
        time.sleep(0.2)
    me = browser.get(f"{demo.portal}/me", timeout=TIMEOUT)
    assert me.url == f"{demo.portal}/"
    assert _page(me).select_one("a[data-action=sign-in]") is not None
    # Only that citizen's session ended.
    assert _portal_signed_in(bystander, demo)
