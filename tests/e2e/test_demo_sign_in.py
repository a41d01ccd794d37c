"""A citizen signs in through `idp demo` with an HTTP client that follows the pages as a browser
does (forms, cookies, redirects), so every step is checked without a browser too."""

from __future__ import annotations

from urllib.parse import urljoin

import pyotp
import pytest
import requests
from bs4 import BeautifulSoup

from idp.sandbox import SANDBOX
from tests.e2e.conftest import Demo, form_to_submit

pytestmark = pytest.mark.e2e


def _submit(
    browser: requests.Session,
    page: requests.Response,
    data: dict[str, str],
    button: tuple[str, str] | None = None,
) -> requests.Response:
    action, fields = form_to_submit(page, data, button)
    return browser.post(action, data=fields, timeout=30)


def test_a_citizen_signs_in_on_the_demo_portal(demo: Demo) -> None:
    sandbox = SANDBOX[0]
    assert sandbox.totp_secret
    browser = requests.Session()
    home = browser.get(demo.portal + "/", timeout=10)
    link = BeautifulSoup(home.text, "html.parser").select_one("a[data-action=sign-in]")
    assert link is not None

    sign_in = browser.get(urljoin(home.url, str(link["href"])), timeout=10)
    assert sign_in.url.startswith(demo.issuer + "/signin/")
    otp_page = _submit(
        browser, sign_in, {"citizen_id": sandbox.record.citizen_id, "password": sandbox.password}
    )
    assert otp_page.url.endswith("/otp"), otp_page.text
    consent = _submit(browser, otp_page, {"otp": pyotp.TOTP(sandbox.totp_secret).now()})
    assert "/consent/" in consent.url, consent.text
    me = _submit(browser, consent, {}, button=("decision", "allow"))

    assert me.url == demo.portal + "/me", me.text
    page = BeautifulSoup(me.text, "html.parser")
    claim = {str(dd["data-claim"]): dd for dd in page.select("dd[data-claim]")}
    assert claim["name"].get_text(strip=True) == "Nguyễn Văn An"
    assert claim["birthdate"]["data-value"] == "1990-05-14"
    assert claim["citizen_id"].get_text(strip=True) == sandbox.record.citizen_id


def test_a_wrong_password_changes_nothing_and_says_why_generically(demo: Demo) -> None:
    browser = requests.Session()
    home = browser.get(demo.portal + "/login", timeout=10)
    refused = _submit(
        browser,
        home,
        {"citizen_id": SANDBOX[0].record.citizen_id, "password": "wrong password entirely"},
    )
    assert refused.status_code == 401
    assert SANDBOX[0].record.citizen_id not in refused.text
