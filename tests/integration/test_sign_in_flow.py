"""The whole sign-in through the provider's pages, and each way it must refuse."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp import clock
from idp.authn.totp import code_at
from tests.factories import REDIRECT_URI
from tests.integration.conftest import Flow, query

ISSUER = "http://localhost:5000"


def _verify_id_token(flow: Flow, id_token: str) -> dict[str, object]:
    keys = KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())
    token = jwt.decode(id_token, keys, algorithms=["ES256"])
    return dict(token.claims)


@pytest.mark.spec("OIDC-Core-3.1")
def test_password_code_consent_token_userinfo(flow: Flow) -> None:
    callback = flow.code()
    assert callback["state"] == "state-1234567890"
    assert callback["iss"] == ISSUER  # RFC 9207 §2
    response = flow.redeem(callback["code"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.get_json()
    claims = _verify_id_token(flow, tokens["id_token"])
    assert claims["iss"] == ISSUER
    assert claims["aud"] == flow.portal.client_id
    assert claims["azp"] == flow.portal.client_id
    assert claims["nonce"] == "nonce-1234567890"
    assert claims["acr"] == "loa2"
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["auth_time"] == int(clock.now().timestamp())
    assert claims["sub"] != "087084000999"
    assert "citizen_id" not in claims
    info = flow.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).get_json()
    assert info["sub"] == claims["sub"]
    assert info["name"] == "Nguyễn Văn An"
    assert info["birthdate"] == "1984-03-02"
    assert info["citizen_id"] == "087084000999"
    assert "health_insurance" not in info  # not asked for


def test_wrong_password_and_unknown_number_get_the_same_message(flow: Flow) -> None:
    wrong = flow.sign_in(flow.authorize(), password="not the password at all")
    unknown = flow.sign_in(flow.authorize(), citizen_id="001090012345")
    assert wrong.status_code == unknown.status_code == 401
    message = "The details you entered are not correct"
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert "087084000999" not in wrong.get_data(as_text=True)


def test_wrong_code_is_refused(flow: Flow) -> None:
    response = flow.enter_code(flow.sign_in(flow.authorize()), code="000000")
    assert response.status_code == 401


@pytest.mark.spec("RFC6238-5.2")
def test_a_code_is_accepted_once(flow: Flow) -> None:
    assert flow.totp_secret
    code = code_at(flow.totp_secret, clock.now())
    first = flow.enter_code(flow.sign_in(flow.authorize()), code=code)
    assert first.status_code == 302
    flow.browser.delete_cookie("idp_session", domain="localhost")
    again = flow.enter_code(flow.sign_in(flow.authorize()), code=code)
    assert again.status_code == 401


def test_deny_returns_access_denied(flow: Flow) -> None:
    response = flow.enter_code(flow.sign_in(flow.authorize()))
    callback = flow.follow_to_portal(flow.consent(response, decision="deny"))
    assert callback["error"] == "access_denied"
    assert callback["state"] == "state-1234567890"
    assert "code" not in callback


def test_consent_is_remembered(flow: Flow) -> None:
    flow.code()
    response = flow.authorize(nonce="a-fresh-nonce-for-the-second-request")
    # Signed in, consent given: straight back to the portal with a code.
    callback = flow.follow_to_portal(response)
    assert "code" in callback


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:5001/callback/",
        "http://127.0.0.1:5001/callbac",
        "http://127.0.0.1:5001/callback?x=1",
        "http://127.0.0.1:5002/callback",
        "https://127.0.0.1:5001/callback",
        "http://evil.example/callback",
        None,
    ],
)
@pytest.mark.spec("RFC9700-4.1.3")
def test_unregistered_redirect_uri_shows_a_page_and_never_redirects(
    flow: Flow, redirect_uri: str | None
) -> None:
    response = flow.authorize(redirect_uri=redirect_uri)
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_unknown_client_shows_a_page(flow: Flow) -> None:
    response = flow.authorize(client_id="nobody")
    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"scope": "openid profile vaccination"}, "invalid_scope"),
        ({"scope": "profile citizen_id"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_bad_requests_are_returned_to_the_portal(
    flow: Flow, changes: dict[str, str | None], error: str
) -> None:
    response = flow.authorize(**changes)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(REDIRECT_URI)
    callback = query(response.headers["Location"])
    assert callback["error"] == error
    assert callback["state"] == "state-1234567890"
    assert callback["iss"] == ISSUER


@pytest.mark.spec("RFC7636-4.6")
def test_wrong_code_verifier_is_refused(flow: Flow) -> None:
    callback = flow.code()
    response = flow.redeem(callback["code"], code_verifier="x" * 50)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"


def test_missing_code_verifier_is_refused(flow: Flow) -> None:
    callback = flow.code()
    response = flow.redeem(callback["code"], code_verifier=None)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


@pytest.mark.spec("RFC6749-4.1.2")
def test_reused_code_is_refused_and_its_tokens_revoked(flow: Flow) -> None:
    callback = flow.code()
    first = flow.redeem(callback["code"]).get_json()
    replay = flow.redeem(callback["code"])
    assert replay.status_code == 400
    assert replay.get_json()["error"] == "invalid_grant"
    userinfo = flow.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert userinfo.status_code == 401, userinfo.get_data(as_text=True)
    assert "invalid_token" in userinfo.headers["WWW-Authenticate"]


def test_expired_code_is_refused(flow: Flow) -> None:
    callback = flow.code()
    flow.advance(61)
    response = flow.redeem(callback["code"])
    assert response.get_json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_at_the_token_endpoint(flow: Flow) -> None:
    callback = flow.code()
    response = flow.redeem(callback["code"], redirect_uri="http://127.0.0.1:5001/other")
    assert response.get_json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_refused(flow: Flow) -> None:
    callback = flow.code()
    response = flow.browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": flow.portal.redirect_uri,
            "code_verifier": flow.verifier,
        },
        auth=(flow.portal.client_id, "wrong-secret"),
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def test_transaction_belongs_to_the_browser_that_started_it(flow: Flow, app) -> None:  # type: ignore[no-untyped-def]
    response = flow.authorize()
    stranger = app.test_client()
    page = stranger.get(response.headers["Location"])
    assert page.status_code == 400
