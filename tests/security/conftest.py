"""The conformance-grade suite: the provider as the OpenID Foundation's conformance suite sees it.

A portal is registered the way the suite's static client is (``conformance``): every standard
scope and ``offline_access``, a ``post_logout_redirect_uri``; the builders of
``tests.integration.conftest`` then make a valid request that each test breaks one way.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet
from werkzeug.serving import make_server
from werkzeug.test import TestResponse
from werkzeug.wrappers import Request, Response

from idp import clock
from idp.authn.totp import code_at
from tests.factories import make_portal

# ``flow`` is the integration suite's fixture (a valid portal, citizen and browser), shared here.
from tests.integration.conftest import Flow, flow, flow_with, form_fields, query

ISSUER = "http://localhost:5000"
#: What the suite's static client is registered for (Basic plan, scope modules, refresh tokens).
CONFORMANCE_SCOPE = "openid profile email address phone offline_access"
POST_LOGOUT_REDIRECT = "http://127.0.0.1:5001/post_logout_redirect"
#: RFC 6749 §4.1.2.1 and §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
ERROR_DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5B\x5D-\x7E]+")
#: The parameters an authorization error response may carry (OIDC Core §3.1.2.6, RFC 9207).
ERROR_RESPONSE_PARAMETERS = {"error", "error_description", "error_uri", "state", "iss"}


@dataclass
class Suite(Flow):
    """A browser driven the way the conformance suite drives it: its valid request asks for
    ``scope=openid`` (the suite's default ``client.scope``), with ``state`` and ``nonce``, and
    with PKCE, which this provider requires of every client (an open decision: the Basic plan
    sends none, see ``test_conformance_basic``)."""

    def authorization_params(self, **changes: str | None) -> dict[str, str]:
        changes.setdefault("scope", "openid")
        return super().authorization_params(**changes)

    def next_code(self) -> str:
        """The one-time code of the next time step (one step of drift is allowed), for a second
        sign-in within the same 30 seconds: a code is accepted once (RFC 6238 §5.2)."""
        assert self.totp_secret
        return code_at(self.totp_secret, clock.now() + timedelta(seconds=30))

    def sign_in_again(self, **changes: str | None) -> dict[str, str]:
        """Sign in once more on a login page (password, the next one-time code); the consent
        given before is remembered. Returns what the portal receives."""
        response = self.sign_in(self.authorize(**changes))
        return portal_receives(self, self.second_factor_if_asked(response, self.next_code()))


def suite_with(app: Flask, **portal: Any) -> Iterator[Suite]:
    for base in flow_with(app, **portal):
        yield Suite(base.browser, base.portal, base.totp_secret, base.advance)


@pytest.fixture
def conformance(app: Flask) -> Iterator[Suite]:
    """The conformance suite's first client: client_secret_basic, every standard scope."""
    yield from suite_with(
        app, scope=CONFORMANCE_SCOPE, post_logout_redirect_uris=[POST_LOGOUT_REDIRECT]
    )


@pytest.fixture
def conformance_post(app: Flask) -> Iterator[Suite]:
    """The suite's client for OIDCCServerTestClientSecretPost."""
    yield from suite_with(app, scope=CONFORMANCE_SCOPE, auth_method="client_secret_post")


@pytest.fixture
def conformance_rs256(app: Flask) -> Iterator[Suite]:
    """A client registered for RS256 ID tokens, the algorithm OIDC Core §3.1.3.7 defaults to."""
    yield from suite_with(app, scope=CONFORMANCE_SCOPE, id_token_alg="RS256")


@dataclass(frozen=True)
class Received:
    """A back-channel logout request as the portal's endpoint saw it."""

    content_type: str
    form: dict[str, list[str]]


@pytest.fixture
def backchannel() -> Iterator[tuple[str, queue.Queue[Received]]]:
    """A portal's back-channel logout endpoint on loopback, answering 200 with
    ``Cache-Control: no-store`` as the suite's does, recording every request."""
    received: queue.Queue[Received] = queue.Queue()

    @Request.application
    def endpoint(request: Request) -> Response:
        received.put(Received(request.mimetype, request.form.to_dict(flat=False)))
        return Response(status=200, headers={"Cache-Control": "no-store"})

    server = make_server("127.0.0.1", 0, endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/backchannel_logout", received
    server.shutdown()


@pytest.fixture
def logout_client(app: Flask, backchannel: tuple[str, queue.Queue[Received]]) -> Iterator[Suite]:
    """The suite's client for the logout plans: a post_logout_redirect_uri and a
    backchannel_logout_uri registered (static client registration)."""
    yield from suite_with(
        app,
        scope=CONFORMANCE_SCOPE,
        post_logout_redirect_uris=[POST_LOGOUT_REDIRECT],
        backchannel_logout_uri=backchannel[0],
    )


def second_client(app: Flask, flow: Flow, **options: Any) -> Suite:
    """The suite's second client (``client2``), on the same browser."""
    options.setdefault("scope", CONFORMANCE_SCOPE)
    options.setdefault("redirect_uri", "https://client2.example.org/callback")
    with app.app_context():
        portal = make_portal(**options)
    return Suite(flow.browser, portal, flow.totp_secret, flow.advance)


def form_post_fields(response: TestResponse) -> tuple[str, dict[str, str]] | None:
    """The action and fields of an OAuth 2.0 Form Post Response Mode page, or None."""
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    form = soup.select_one("form[data-auto-submit]")
    if form is None:
        return None
    return str(form["action"]), form_fields(response)


def portal_receives(flow: Flow, response: TestResponse) -> dict[str, str]:
    """Follow the provider until the portal's redirect URI receives the authorization response,
    by redirect (``query``) or by an auto-submitting form (``form_post``); return its
    parameters. Fails when the provider shows a page instead."""
    for _ in range(10):
        if response.status_code in (302, 303):
            location = response.headers["Location"]
            if location.startswith(flow.portal.redirect_uri):
                return query(location)
            response = flow.browser.get(location)
            continue
        posted = form_post_fields(response)
        assert posted is not None, (response.status_code, response.get_data(as_text=True))
        action, fields = posted
        assert action == flow.portal.redirect_uri
        return fields
    raise AssertionError("too many redirects")


def shows_a_page(response: TestResponse) -> bool:
    """The provider answered with a page of its own: no redirect, no form posting anywhere."""
    return (
        response.status_code == 400
        and "Location" not in response.headers
        and form_post_fields(response) is None
    )


def keys(flow: Flow) -> KeySet:
    return KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())


def id_token(flow: Flow, token: str) -> dict[str, Any]:
    """The claims of an ID token, its signature verified with the published keys."""
    return dict(jwt.decode(token, keys(flow)).claims)


def redeem(flow: Flow, callback: dict[str, str]) -> dict[str, Any]:
    response = flow.redeem(callback["code"])
    assert response.status_code == 200, response.get_data(as_text=True)
    tokens: dict[str, Any] = response.get_json()
    return tokens


def userinfo(flow: Flow, access_token: str) -> TestResponse:
    return flow.browser.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


__all__ = [
    "CONFORMANCE_SCOPE",
    "ERROR_DESCRIPTION",
    "ERROR_RESPONSE_PARAMETERS",
    "ISSUER",
    "POST_LOGOUT_REDIRECT",
    "Received",
    "Suite",
    "flow",
    "form_post_fields",
    "id_token",
    "keys",
    "portal_receives",
    "redeem",
    "second_client",
    "shows_a_page",
    "userinfo",
]
