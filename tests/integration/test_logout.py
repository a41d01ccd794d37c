"""RP-initiated logout and back-channel logout, through the real endpoints."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from idp import clock
from idp.keys.store import ensure_keys
from tests.factories import make_account, make_citizen, make_portal
from tests.integration.conftest import START, Flow, english

AFTER = "http://127.0.0.1:5001/signed-out"


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[str]]]:
    """A portal's back-channel logout endpoint on loopback, recording what it receives."""
    received: queue.Queue[str] = queue.Queue()

    @Request.application
    def endpoint(request: Request) -> Response:
        received.put(request.form.get("logout_token", ""))
        return Response(status=200)

    server = make_server("127.0.0.1", 0, endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/backchannel-logout", received
    server.shutdown()


@pytest.fixture
def logout_flow(app: Flask, receiver: tuple[str, queue.Queue[str]]) -> Iterator[Flow]:
    with clock.frozen(START) as advance:
        with app.app_context():
            ensure_keys()
            make_citizen()
            secret = make_account()
            portal = make_portal(
                post_logout_redirect_uris=[AFTER], backchannel_logout_uri=receiver[0]
            )
        yield Flow(english(app), portal, secret, advance)


def _tokens(flow: Flow) -> dict[str, str]:
    tokens: dict[str, str] = flow.redeem(flow.code()["code"]).get_json()
    return tokens


def _claims(flow: Flow, token: str) -> tuple[dict[str, object], dict[str, object]]:
    keys = KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())
    decoded = jwt.decode(token, keys)
    return dict(decoded.header), dict(decoded.claims)


@pytest.mark.spec("OIDC-RPInitiated-2")
def test_logout_with_hint_ends_session_and_notifies_the_portal(
    logout_flow: Flow, receiver: tuple[str, queue.Queue[str]]
) -> None:
    flow = logout_flow
    tokens = _tokens(flow)
    _, id_token = _claims(flow, tokens["id_token"])
    query = urlencode(
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": AFTER, "state": "s-1"}
    )
    response = flow.browser.get(f"/logout?{query}")
    assert response.status_code == 303
    assert response.headers["Location"] == AFTER + "?state=s-1"

    # The session is over: the next request needs a sign-in, the access token is dead.
    assert "/signin/" in flow.authorize(nonce="after-logout-1234").headers["Location"]
    userinfo = flow.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 401

    header, claims = _claims(flow, receiver[1].get(timeout=10))
    assert header["typ"] == "logout+jwt"
    assert claims["iss"] == "http://localhost:5000"
    assert claims["aud"] == flow.portal.client_id
    assert claims["sid"] == id_token["sid"]
    assert claims["sub"] == id_token["sub"]
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]  # type: ignore[operator]
    assert "nonce" not in claims
    assert claims["jti"]


def test_unregistered_post_logout_redirect_is_refused(logout_flow: Flow) -> None:
    flow = logout_flow
    tokens = _tokens(flow)
    query = urlencode(
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": AFTER + "/x"}
    )
    response = flow.browser.get(f"/logout?{query}")
    assert response.status_code == 400
    assert "Location" not in response.headers
    # Nothing was ended.
    assert "code" in flow.follow_to_portal(flow.authorize(nonce="still-signed-in-1"))


def test_client_id_must_match_the_hint(logout_flow: Flow) -> None:
    flow = logout_flow
    tokens = _tokens(flow)
    query = urlencode({"id_token_hint": tokens["id_token"], "client_id": "someone-else"})
    assert flow.browser.get(f"/logout?{query}").status_code == 400


@pytest.mark.parametrize(("decision", "signed_out"), [("logout", True), ("stay", False)])
def test_without_a_hint_the_citizen_confirms(
    logout_flow: Flow, decision: str, signed_out: bool
) -> None:
    flow = logout_flow
    _tokens(flow)
    page = flow.browser.get(f"/logout?client_id={flow.portal.client_id}")
    assert page.status_code == 200
    from tests.integration.conftest import form_fields

    answer = flow.browser.post("/logout/confirm", data={**form_fields(page), "decision": decision})
    assert answer.status_code == 200
    next_step = flow.authorize(nonce="after-confirm-123").headers["Location"]
    assert ("/signin/" in next_step) is signed_out


def test_logout_without_a_session_still_returns_to_the_portal(logout_flow: Flow) -> None:
    flow = logout_flow
    query = urlencode(
        {"client_id": flow.portal.client_id, "post_logout_redirect_uri": AFTER, "state": "s-2"}
    )
    response = flow.browser.get(f"/logout?{query}")
    assert response.headers["Location"] == AFTER + "?state=s-2"


def test_a_forged_hint_is_refused(logout_flow: Flow) -> None:
    flow = logout_flow
    tokens = _tokens(flow)
    header, payload, _ = tokens["id_token"].split(".")
    forged = f"{header}.{payload}.AAAA"
    assert flow.browser.get(f"/logout?id_token_hint={forged}").status_code == 400
