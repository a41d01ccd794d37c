"""Signing out: RP-initiated logout (the Sign-out button), and back-channel logout (the provider
tells the portal that a citizen's session there has ended)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jws, jwt
from joserfc.jwk import ECKey

from relying_party_demo import jwks
from relying_party_demo.sessions import session_store

if TYPE_CHECKING:
    from conftest import FakeProvider

StartSignIn = Callable[..., dict[str, str]]
ISSUER = "http://localhost:5000"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def error_code(response: Any) -> str:
    code = BeautifulSoup(response.text, "html.parser").select_one("[data-error-code]")
    assert code is not None, response.text
    return code.get_text()


def sign_out(client: FlaskClient) -> Any:
    page = BeautifulSoup(client.get("/me").text, "html.parser")
    token = page.select_one("input[name=csrf_token]")
    assert token is not None
    return client.post("/logout", data={"csrf_token": token["value"]})


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/me").status_code == 200


# --- RP-initiated logout -----------------------------------------------------------------------


@pytest.mark.spec("OIDC-RPInitiated-2")
def test_sign_out_redirects_to_the_end_session_endpoint(
    signed_in: FlaskClient, portal: Flask
) -> None:
    with signed_in.session_transaction() as session:
        id_token = session["sign_in"]["id_token"]
    before = signed_in.get_cookie("portal_session")
    assert before is not None

    response = sign_out(signed_in)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/logout"
    query = dict(parse_qsl(location.query))
    assert query["id_token_hint"] == id_token
    assert query["post_logout_redirect_uri"] == "http://127.0.0.1:5001/logged-out"
    assert query["client_id"] == "portal-test-client"
    assert len(query["state"]) >= 20
    # The local session ended before the redirect, under a new id that keeps only the state.
    assert not is_signed_in(signed_in)
    assert session_store(portal).load(before.value) is None
    with signed_in.session_transaction() as session:
        assert set(session) == {"logout_state"}


@pytest.mark.spec("OIDC-RPInitiated-3")
def test_the_return_from_the_provider_checks_the_state(signed_in: FlaskClient) -> None:
    query = dict(parse_qsl(urlsplit(sign_out(signed_in).headers["Location"]).query))
    response = signed_in.get("/logged-out", query_string={"state": query["state"]})
    assert response.status_code == 200
    assert BeautifulSoup(response.text, "html.parser").select_one("[data-signed-out]")
    # Used once: the same state a second time is refused.
    response = signed_in.get("/logged-out", query_string={"state": query["state"]})
    assert response.status_code == 400
    assert error_code(response) == "invalid_logout_state"


@pytest.mark.parametrize("state", [None, "", "forged"])
def test_a_return_with_a_wrong_state_is_refused(signed_in: FlaskClient, state: str | None) -> None:
    sign_out(signed_in)
    response = signed_in.get("/logged-out", query_string={} if state is None else {"state": state})
    assert response.status_code == 400
    assert error_code(response) == "invalid_logout_state"
    assert "Traceback" not in response.text


def test_without_an_end_session_endpoint_sign_out_is_local(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    fake_provider.metadata.pop("end_session_endpoint")
    # The portal read discovery when signing in; a provider that has none since is simulated
    # by the cached metadata.
    cached = portal.extensions["authlib.integrations.flask_client"].create_client("idp")
    cached.server_metadata.pop("end_session_endpoint", None)
    response = sign_out(signed_in)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert not is_signed_in(signed_in)
    assert signed_in.get_cookie("portal_session") is None


# --- Back-channel logout -----------------------------------------------------------------------


def post_logout(client: FlaskClient, token: str) -> Any:
    return client.post("/backchannel-logout", data={"logout_token": token})


def second_browser(portal: Flask, fake_provider: FakeProvider, **userinfo: str) -> FlaskClient:
    browser = portal.test_client()
    response = browser.get("/login")
    query = fake_provider.authorize(response.headers["Location"])
    assert browser.get("/callback", query_string=query).status_code == 303
    return browser


@pytest.mark.spec("OIDC-BackChannel-2.7")
def test_a_logout_token_ends_the_session_it_names(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    token = fake_provider.logout_token()
    # Another provider session of the same citizen (another browser) is not named by the sid.
    other = second_browser(portal, fake_provider)
    response = post_logout(portal.test_client(), token)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert not is_signed_in(signed_in)
    assert is_signed_in(other)


def test_a_logout_token_with_sub_alone_ends_every_session_of_the_citizen(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    other = second_browser(portal, fake_provider)
    response = post_logout(portal.test_client(), fake_provider.logout_token(sid=None))
    assert response.status_code == 200
    assert not is_signed_in(signed_in)
    assert not is_signed_in(other)


def test_a_logout_token_for_another_citizen_ends_nothing(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    token = fake_provider.logout_token(sid="another-session", sub="another-citizen")
    assert post_logout(portal.test_client(), token).status_code == 200
    assert is_signed_in(signed_in)


def test_a_session_ended_by_the_provider_is_not_brought_back_by_a_late_save(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    """A request that began before the logout and writes its session after it must not undo
    the logout (the store updates live rows only)."""
    with signed_in.session_transaction() as session:
        assert post_logout(portal.test_client(), fake_provider.logout_token()).status_code == 200
        session["csrf_token"] = "written after the logout"
    assert not is_signed_in(signed_in)


def claims_without(name: str) -> dict[str, Any]:
    return {name: None}


@pytest.mark.spec("OIDC-BackChannel-2.6")
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (
            lambda p: p.logout_token(
                key=ECKey.generate_key("P-256", parameters={"kid": "test-key-1"})
            ),
            "signature",
        ),
        (lambda p: p.logout_token(aud="another-client"), "aud"),
        (lambda p: p.logout_token(aud=None), "aud"),
        (lambda p: p.logout_token(iss="http://evil.example"), "iss"),
        (lambda p: p.logout_token(nonce="a-nonce"), "nonce"),
        (lambda p: p.logout_token(events=None), "events"),
        (lambda p: p.logout_token(events={"http://example.com/other": {}}), "events"),
        (lambda p: p.logout_token(events={LOGOUT_EVENT: "yes"}), "events"),
        (lambda p: p.logout_token(exp=int(time.time()) - 3600), "expired"),
        (lambda p: p.logout_token(exp=None), "expired"),
        (lambda p: p.logout_token(iat=None), "iat"),
        (lambda p: p.logout_token(iat=int(time.time()) + 3600), "iat"),
        (lambda p: p.logout_token(sid=None, sub=None), "sid nor sub"),
        (lambda p: p.logout_token(jti=None), "jti"),
        (
            lambda p: p.logout_token(header={"alg": "ES256", "kid": p.key.kid, "typ": "JWT"}),
            "typ",
        ),
        (lambda p: "not-a-jwt", "signature"),
    ],
)
def test_a_bad_logout_token_is_refused_and_ends_nothing(
    signed_in: FlaskClient,
    fake_provider: FakeProvider,
    portal: Flask,
    make: Callable[[FakeProvider], str],
    reason: str,
) -> None:
    response = post_logout(portal.test_client(), make(fake_provider))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request"
    assert reason in body["error_description"]
    assert is_signed_in(signed_in)


def test_a_logout_token_without_typ_is_accepted(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    valid = jwt.decode(fake_provider.logout_token(), fake_provider.key).claims
    # joserfc's jwt.encode always writes a typ; a JWS of the claims has none.
    token = jws.serialize_compact(
        {"alg": "ES256", "kid": fake_provider.key.kid},
        json.dumps(valid).encode(),
        fake_provider.key,
    )
    assert "typ" not in jws.extract_compact(token.encode()).protected
    assert post_logout(portal.test_client(), token).status_code == 200
    assert not is_signed_in(signed_in)


@pytest.mark.spec("OIDC-BackChannel-2.6")
def test_a_replayed_logout_token_is_refused(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    token = fake_provider.logout_token()
    assert post_logout(portal.test_client(), token).status_code == 200
    response = post_logout(portal.test_client(), token)
    assert response.status_code == 400
    assert "jti" in response.get_json()["error_description"]


def test_a_request_without_a_logout_token_is_refused(portal_client: FlaskClient) -> None:
    response = portal_client.post("/backchannel-logout", data={})
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert portal_client.get("/backchannel-logout").status_code == 405


def test_a_logout_token_signed_with_a_rotated_key_fetches_the_jwks_again(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    fake_provider.key = ECKey.generate_key("P-256", parameters={"kid": "test-key-2"})
    assert post_logout(portal.test_client(), fake_provider.logout_token()).status_code == 200
    assert not is_signed_in(signed_in)


def test_unknown_kids_fetch_the_jwks_at_most_once_in_a_while(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    def jwks_fetches() -> int:
        return sum(r.url == f"{ISSUER}/jwks.json" for r in fake_provider.received)

    before = jwks_fetches()
    for n in range(5):
        stranger = ECKey.generate_key("P-256", parameters={"kid": f"made-up-{n}"})
        token = fake_provider.logout_token(
            header={"alg": "ES256", "kid": f"made-up-{n}"}, key=stranger
        )
        assert post_logout(portal.test_client(), token).status_code == 400
    assert jwks_fetches() - before == 1
    assert jwks.REFETCH_SECONDS >= 10


def test_keys_unreachable_is_a_retryable_answer(
    signed_in: FlaskClient, fake_provider: FakeProvider, portal: Flask
) -> None:
    token = fake_provider.logout_token()
    client = portal.extensions["authlib.integrations.flask_client"].create_client("idp")
    client.server_metadata.pop("jwks", None)
    client.server_metadata["jwks_uri"] = f"{ISSUER}/gone"
    response = post_logout(portal.test_client(), token)
    assert response.status_code == 503
    assert is_signed_in(signed_in)
