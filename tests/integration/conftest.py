"""Fixtures for driving the provider through its pages with the Flask test client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from idp import clock
from idp.authn import hashing
from idp.keys.store import ensure_keys
from tests.factories import PASSWORD, Portal, make_account, make_citizen, make_portal, pkce_pair

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def form_fields(response: TestResponse) -> dict[str, str]:
    """What a browser sends of the page's form besides the buttons and what the citizen types:
    its hidden inputs (the CSRF token among them) and its ticked checkboxes."""
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    sent = soup.select("form input[type=hidden], form input[type=checkbox][checked]")
    return {str(i["name"]): str(i.get("value", "on")) for i in sent}


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Flow:
    """A browser walking through a sign-in, and the portal's side of it."""

    browser: FlaskClient
    portal: Portal
    totp_secret: str | None
    advance: Any
    verifier: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def authorization_params(self, **changes: str | None) -> dict[str, str]:
        """A valid authorization request; each test breaks one thing with ``changes``."""
        self.verifier, challenge = pkce_pair()
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.portal.client_id,
            "redirect_uri": self.portal.redirect_uri,
            "scope": "openid profile citizen_id",
            "state": "state-1234567890",
            "nonce": "nonce-1234567890",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(changes)
        self.params = {k: v for k, v in params.items() if v is not None}
        return self.params

    def authorize(self, **changes: str | None) -> TestResponse:
        return self.browser.get("/authorize?" + urlencode(self.authorization_params(**changes)))

    def submit(self, response: TestResponse, data: dict[str, str]) -> TestResponse:
        location = response.headers["Location"]
        page = self.browser.get(location)
        assert page.status_code == 200, page.get_data(as_text=True)
        return self.browser.post(location, data={**form_fields(page), **data})

    def sign_in(
        self, response: TestResponse, password: str = PASSWORD, citizen_id: str = "087084000999"
    ) -> TestResponse:
        return self.submit(response, {"citizen_id": citizen_id, "password": password})

    def enter_code(self, response: TestResponse, code: str | None = None) -> TestResponse:
        from idp.authn.totp import code_at

        assert self.totp_secret
        return self.submit(response, {"otp": code or code_at(self.totp_secret, clock.now())})

    def consent(self, response: TestResponse, decision: str = "allow") -> TestResponse:
        return self.submit(response, {"decision": decision})

    def follow_to_portal(self, response: TestResponse) -> dict[str, str]:
        """Follow the provider's redirects until the portal's redirect URI; return its query."""
        while not response.headers["Location"].startswith(self.portal.redirect_uri):
            response = self.browser.get(response.headers["Location"])
            assert response.status_code in (302, 303), response.get_data(as_text=True)
        return query(response.headers["Location"])

    def second_factor_if_asked(
        self, response: TestResponse, code: str | None = None
    ) -> TestResponse:
        """The one-time code step comes only when the portal needs two factors (loa2)."""
        if response.headers.get("Location", "").endswith("/otp"):
            return self.enter_code(response, code)
        return response

    def code(self, **changes: str | None) -> dict[str, str]:
        """Run the whole sign-in; return the portal's callback parameters."""
        response = self.second_factor_if_asked(self.sign_in(self.authorize(**changes)))
        return self.follow_to_portal(self.consent(response))

    def redeem(self, code: str, **changes: str | None) -> TestResponse:
        data: dict[str, str | None] = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.portal.redirect_uri,
            "code_verifier": self.verifier,
        }
        data.update(changes)
        secret = self.portal.client_secret
        assert secret
        return self.browser.post(
            "/token",
            data={k: v for k, v in data.items() if v is not None},
            auth=(self.portal.client_id, secret),
        )

    def post_as_portal(self, path: str, **data: str | None) -> TestResponse:
        """POST a form to a token-side endpoint (``/token``, ``/introspect``, ``/revoke``),
        authenticated as the portal with ``client_secret_basic``; None values are left out."""
        secret = self.portal.client_secret
        assert secret
        return self.browser.post(
            path,
            data={k: v for k, v in data.items() if v is not None},
            auth=(self.portal.client_id, secret),
        )

    def refresh(self, refresh_token: str, **changes: str | None) -> TestResponse:
        """A valid refresh request (RFC 6749 §6); each test breaks one thing with ``changes``."""
        data: dict[str, str | None] = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        data.update(changes)
        return self.post_as_portal("/token", **data)


def flow_with(app: Flask, **portal: Any) -> Iterator[Flow]:
    """What the ``flow`` fixture gives, with the portal registered with ``portal`` options
    (``make_portal``'s keywords); for fixtures that need another kind of portal."""
    with clock.frozen(START) as advance:
        with app.app_context():
            ensure_keys()
            make_citizen()
            secret = make_account()
            registered = make_portal(**portal)
        yield Flow(english(app), registered, secret, advance)


@pytest.fixture
def flow(app: Flask) -> Iterator[Flow]:
    """A registered portal, a citizen with an account and TOTP, and a fresh browser. The test
    runs outside any app context, as requests in production do (``g`` is per request)."""
    with clock.frozen(START) as advance:
        with app.app_context():
            ensure_keys()
            make_citizen()
            secret = make_account()
            portal = make_portal()
        yield Flow(english(app), portal, secret, advance)


@pytest.fixture
def hashing_busy(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], AbstractContextManager[None]]:
    """A context in which every password hash of ``app`` is refused as over its queue: the one
    slot of its gate (no queue, Retry-After 3) is held by the test."""
    gate = hashing.HashingGate(concurrency=1, queue=0, timeout=3)
    monkeypatch.setitem(app.extensions, hashing.EXTENSION, gate)

    @contextmanager
    def busy() -> Iterator[None]:
        with gate.slot():
            yield

    return busy


def english(app: Flask) -> FlaskClient:
    """A browser that asks for English pages (Vietnamese is the default)."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


__all__ = ["Flow", "flow_with", "form_fields", "query"]
