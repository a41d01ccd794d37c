"""Signing in with a passkey through the provider's pages: alone (no number typed), after the
password, and what the portal's ID token then says (`acr`, `amr`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from werkzeug.test import TestResponse

from idp.accounts import passkeys
from idp.extensions import db
from idp.models import Account, Passkey
from tests.authenticator import SoftwareAuthenticator
from tests.integration.conftest import Flow, flow_with, form_fields

ISSUER = "http://localhost:5000"


def _give_passkey(
    app: Flask, *, identity_level: int = 1, without_totp: bool = False, synced: bool = False
) -> SoftwareAuthenticator:
    authenticator = SoftwareAuthenticator(ISSUER, backup_eligible=synced)
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account is not None
        account.identity_level = identity_level
        if without_totp:
            account.totp_secret_sealed = None
        db.session.commit()
        options = passkeys.registration_options(account, binding="set-up")
        passkeys.register_passkey(
            account, authenticator.create(options), name="Điện thoại", binding="set-up"
        )
    return authenticator


@pytest.fixture
def passkey_flow(app: Flask) -> Iterator[tuple[Flow, SoftwareAuthenticator]]:
    for flow in flow_with(app):
        yield flow, _give_passkey(app)


def _transaction_page(flow: Flow, response: TestResponse) -> tuple[str, str, TestResponse]:
    """The sign-in page a redirect leads to: its transaction's base URL, CSRF token and body."""
    location = response.headers["Location"]
    found = re.search(r"/signin/[^/?]+", location)
    assert found, location
    page = flow.browser.get(location)
    assert page.status_code == 200, page.get_data(as_text=True)
    return found.group(0), form_fields(page)["csrf_token"], page


def _options(flow: Flow, base: str, csrf: str) -> dict[str, Any]:
    reply = flow.browser.post(base + "/passkey/options", headers={"X-CSRFToken": csrf})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    options: dict[str, Any] = reply.get_json()
    return options


def _post_assertion(flow: Flow, base: str, csrf: str, assertion: dict[str, Any]) -> TestResponse:
    return flow.browser.post(
        base + "/passkey", data={"csrf_token": csrf, "credential": json.dumps(assertion)}
    )


def use_passkey(
    flow: Flow, response: TestResponse, authenticator: SoftwareAuthenticator, **breaks: Any
) -> TestResponse:
    """On the page ``response`` leads to, press the passkey button and let ``authenticator``
    answer (``breaks`` break one thing in its answer)."""
    base, csrf, _ = _transaction_page(flow, response)
    assertion = authenticator.get(_options(flow, base, csrf), **breaks)
    return _post_assertion(flow, base, csrf, assertion)


def _id_token(flow: Flow, callback: dict[str, str]) -> dict[str, Any]:
    tokens = flow.redeem(callback["code"]).get_json()
    keys = KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())
    return dict(jwt.decode(tokens["id_token"], keys, algorithms=["ES256"]).claims)


def _error_text(response: TestResponse) -> str:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    error = soup.select_one("#form-error")
    return error.get_text(strip=True) if error else ""


def test_the_password_page_offers_a_passkey(
    passkey_flow: tuple[Flow, SoftwareAuthenticator],
) -> None:
    flow, _ = passkey_flow
    _, _, page = _transaction_page(flow, flow.authorize())
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-action=passkey-login]") is not None
    number = soup.select_one("input[name=citizen_id]")
    assert number is not None
    assert number["autocomplete"] == "username webauthn"
    assert soup.select_one("section[data-passkey=sign-in]")["data-options-url"].endswith(  # type: ignore[index]
        "/passkey/options"
    )
    # errors.js, on every page, puts the focus on a refused field.
    assert [s["src"] for s in soup.select("script")] == ["/static/errors.js", "/static/passkeys.js"]
    assert not [s for s in soup.select("script") if s.string]  # no inline script (CSP)


@pytest.mark.spec("WebAuthn-L3-7.2")
def test_a_passkey_alone_signs_in_at_loa2(
    passkey_flow: tuple[Flow, SoftwareAuthenticator],
) -> None:
    flow, authenticator = passkey_flow
    consent = use_passkey(flow, flow.authorize(), authenticator)
    assert "/consent/" in consent.headers["Location"], consent.get_data(as_text=True)
    claims = _id_token(flow, flow.follow_to_portal(flow.consent(consent)))
    assert claims["acr"] == "loa2"
    assert claims["amr"] == ["hwk", "user", "mfa"]


def test_a_synced_passkey_is_a_software_key(app: Flask) -> None:
    for flow in flow_with(app):
        authenticator = _give_passkey(app, synced=True)
        consent = use_passkey(flow, flow.authorize(), authenticator)
        claims = _id_token(flow, flow.follow_to_portal(flow.consent(consent)))
        assert claims["amr"] == ["swk", "user", "mfa"]


def test_a_passkey_alone_needs_user_verification(
    passkey_flow: tuple[Flow, SoftwareAuthenticator],
) -> None:
    flow, authenticator = passkey_flow
    refused = use_passkey(flow, flow.authorize(), authenticator, user_verified=False)
    assert refused.status_code == 401
    assert _error_text(refused) == (
        "This passkey could not be used. Try again, or sign in another way."
    )


@pytest.mark.parametrize(
    "breaks",
    [
        pytest.param({"origin": "http://localhost:5001"}, id="wrong-origin"),
        pytest.param({"rp_id": "127.0.0.1"}, id="wrong-rp-id"),
    ],
)
def test_a_broken_assertion_is_refused_on_the_page(
    passkey_flow: tuple[Flow, SoftwareAuthenticator], breaks: dict[str, Any]
) -> None:
    flow, authenticator = passkey_flow
    refused = use_passkey(flow, flow.authorize(), authenticator, **breaks)
    assert refused.status_code == 401
    assert "could not be used" in _error_text(refused)


@pytest.mark.spec("WebAuthn-L3-13.4.3")
def test_a_replayed_assertion_signs_nobody_in(
    passkey_flow: tuple[Flow, SoftwareAuthenticator],
) -> None:
    flow, authenticator = passkey_flow
    base, csrf, _ = _transaction_page(flow, flow.authorize())
    assertion = authenticator.get(_options(flow, base, csrf))
    assert _post_assertion(flow, base, csrf, assertion).status_code == 302
    # The same answer in a new authorization of the same browser: its challenge is gone.
    base, csrf, _ = _transaction_page(flow, flow.authorize(prompt="login"))
    _options(flow, base, csrf)
    replayed = _post_assertion(flow, base, csrf, assertion)
    assert replayed.status_code == 401


def test_a_counter_regression_suspends_the_passkey_and_says_so(
    app: Flask, passkey_flow: tuple[Flow, SoftwareAuthenticator]
) -> None:
    flow, authenticator = passkey_flow
    assert use_passkey(flow, flow.authorize(), authenticator, sign_count=9).status_code == 302
    refused = use_passkey(flow, flow.authorize(prompt="login"), authenticator, sign_count=2)
    assert refused.status_code == 401
    assert "suspended because it may have been copied" in _error_text(refused)
    with app.app_context():
        suspended = db.session.scalar(select(Passkey))
        assert suspended is not None
        assert suspended.suspended_at is not None


@pytest.mark.spec("NIST-800-63B-5.2.2")
def test_an_address_over_its_failure_limit_gets_no_passkey_sign_in(
    app: Flask, passkey_flow: tuple[Flow, SoftwareAuthenticator], monkeypatch: pytest.MonkeyPatch
) -> None:
    flow, authenticator = passkey_flow
    monkeypatch.setitem(app.config, "ADDRESS_FAILURE_LIMIT", 2)
    for number in ("001090012345", "001090012346"):
        flow.sign_in(flow.authorize(), citizen_id=number, password="not the password at all")
    refused = use_passkey(flow, flow.authorize(), authenticator)
    assert refused.status_code == 429
    flow.advance(601)
    assert use_passkey(flow, flow.authorize(), authenticator).status_code == 302


def test_the_options_need_the_csrf_token(
    passkey_flow: tuple[Flow, SoftwareAuthenticator],
) -> None:
    flow, _ = passkey_flow
    base, _, _ = _transaction_page(flow, flow.authorize())
    assert flow.browser.post(base + "/passkey/options").status_code == 400
    assert (
        flow.browser.post(base + "/passkey/options", headers={"X-CSRFToken": "x"}).status_code
        == 400
    )


def test_an_unknown_or_foreign_authorization_gets_no_options(
    app: Flask, passkey_flow: tuple[Flow, SoftwareAuthenticator]
) -> None:
    flow, _ = passkey_flow
    base, csrf, _ = _transaction_page(flow, flow.authorize())
    stranger = app.test_client()
    stranger_page = stranger.get(base)
    assert stranger_page.status_code == 400  # not this browser's authorization
    reply = flow.browser.post("/signin/unknown/passkey/options", headers={"X-CSRFToken": csrf})
    assert reply.status_code == 400
    assert reply.get_json() == {"error": "This sign-in has expired"}


@pytest.mark.parametrize("credential", ["", "not json", "[]", "x" * 70_000])
def test_a_malformed_answer_is_refused(
    passkey_flow: tuple[Flow, SoftwareAuthenticator], credential: str
) -> None:
    flow, _ = passkey_flow
    base, csrf, _ = _transaction_page(flow, flow.authorize())
    refused = flow.browser.post(
        base + "/passkey", data={"csrf_token": csrf, "credential": credential}
    )
    assert refused.status_code == 401
    assert "could not be used" in _error_text(refused)


def test_a_passkey_after_the_password_instead_of_the_code(
    passkey_flow: tuple[Flow, SoftwareAuthenticator],
) -> None:
    flow, authenticator = passkey_flow
    second = flow.sign_in(flow.authorize())
    assert second.headers["Location"].endswith("/otp")
    _, _, page = _transaction_page(flow, second)
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.select_one("input[name=otp]") is not None
    assert soup.select_one("section[data-passkey=second-factor] [data-action=passkey-login]")
    base, csrf, _ = _transaction_page(flow, second)
    options = _options(flow, base, csrf)
    assert options["userVerification"] == "preferred"
    assert len(options["allowCredentials"]) == 1
    assertion = authenticator.get(options, user_verified=False, user_handle=False)
    consent = _post_assertion(flow, base, csrf, assertion)
    claims = _id_token(flow, flow.follow_to_portal(flow.consent(consent)))
    assert claims["acr"] == "loa2"
    assert claims["amr"] == ["pwd", "hwk", "mfa"]


def test_an_account_with_only_a_passkey_is_asked_for_it_after_the_password(app: Flask) -> None:
    for flow in flow_with(app):
        authenticator = _give_passkey(app, without_totp=True)
        second = flow.sign_in(flow.authorize())
        assert second.headers["Location"].endswith("/otp")
        _, _, page = _transaction_page(flow, second)
        soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
        assert soup.select_one("input[name=otp]") is None
        assert soup.select_one("h1").get_text() == "Confirm with your passkey"  # type: ignore[union-attr]
        consent = use_passkey(flow, second, authenticator)
        assert "/consent/" in consent.headers["Location"]


def test_a_loa1_session_is_stepped_up_with_a_passkey(app: Flask) -> None:
    for flow in flow_with(app):
        authenticator = _give_passkey(app, without_totp=True)
        first = flow.sign_in(flow.authorize(scope="openid profile"))
        flow.follow_to_portal(flow.consent(first))
        step_up = flow.authorize(scope="openid profile", acr_values="loa2", nonce="n-2-12345678")
        assert step_up.headers["Location"].endswith("/otp")
        # Consent was given in the first sign-in: the passkey leads back to the portal.
        claims = _id_token(flow, flow.follow_to_portal(use_passkey(flow, step_up, authenticator)))
        assert claims["acr"] == "loa2"
        assert claims["amr"] == ["pwd", "hwk", "user", "mfa"]


@pytest.mark.parametrize("after_password", [False, True], ids=["passkey-alone", "after-password"])
def test_loa3_is_a_verified_passkey_on_an_account_proven_in_person(
    app: Flask, after_password: bool
) -> None:
    for flow in flow_with(app):
        authenticator = _give_passkey(app, identity_level=2)
        response = flow.authorize(acr_values="loa3")
        if after_password:
            response = flow.sign_in(response)
            assert response.headers["Location"].endswith("/otp")
            _, _, page = _transaction_page(flow, response)
            # The code cannot reach loa3: only the passkey is offered.
            assert 'name="otp"' not in page.get_data(as_text=True)
        consent = use_passkey(flow, response, authenticator)
        claims = _id_token(flow, flow.follow_to_portal(flow.consent(consent)))
        assert claims["acr"] == "loa3"
        assert "user" in claims["amr"]


def test_loa3_asks_the_second_factor_passkey_to_verify_the_citizen(app: Flask) -> None:
    for flow in flow_with(app):
        authenticator = _give_passkey(app, identity_level=2)
        second = flow.sign_in(flow.authorize(acr_values="loa3"))
        base, csrf, _ = _transaction_page(flow, second)
        options = _options(flow, base, csrf)
        assert options["userVerification"] == "required"
        refused = _post_assertion(flow, base, csrf, authenticator.get(options, user_verified=False))
        assert refused.status_code == 401


@pytest.mark.spec("OIDC-Core-3.1.2.6")
def test_loa3_is_unmet_for_an_account_not_proven_in_person(
    passkey_flow: tuple[Flow, SoftwareAuthenticator],
) -> None:
    flow, authenticator = passkey_flow
    response = use_passkey(flow, flow.authorize(acr_values="loa3"), authenticator)
    callback = flow.follow_to_portal(response)
    assert callback["error"] == "unmet_authentication_requirements"
    assert "code" not in callback
