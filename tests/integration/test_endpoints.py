"""Discovery, JWKS, and the token endpoint's client authentication methods."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet

from idp import clock
from idp.keys.store import SUPPORTED_ALGS, ensure_keys
from tests.factories import make_account, make_citizen, make_portal
from tests.integration.conftest import START, Flow, english, flow_with

ISSUER = "http://localhost:5000"


@pytest.mark.spec("OIDC-Discovery-3")
def test_discovery_describes_what_the_provider_does(flow: Flow) -> None:
    metadata = flow.browser.get("/.well-known/openid-configuration").get_json()
    assert metadata["issuer"] == ISSUER
    assert metadata["jwks_uri"] == f"{ISSUER}/jwks.json"
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert "citizen_id" in metadata["claims_supported"]
    assert metadata["authorization_response_iss_parameter_supported"] is True


def test_jwks_publishes_public_keys_only(flow: Flow) -> None:
    keys = flow.browser.get("/jwks.json").get_json()["keys"]
    assert sorted(k["alg"] for k in keys) == sorted(SUPPORTED_ALGS)
    for key in keys:
        assert key["use"] == "sig"
        assert key["kid"]
        assert "d" not in key
        assert "p" not in key


@pytest.fixture
def post_flow(app: Flask) -> Iterator[Flow]:
    yield from flow_with(app, auth_method="client_secret_post", id_token_alg="RS256")


@pytest.fixture
def public_flow(app: Flask) -> Iterator[Flow]:
    yield from flow_with(app, auth_method="none", subject_type="public")


def test_client_secret_post_and_an_rs256_id_token(post_flow: Flow) -> None:
    callback = post_flow.code()
    assert post_flow.portal.client_secret
    response = post_flow.browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": post_flow.portal.redirect_uri,
            "code_verifier": post_flow.verifier,
            "client_id": post_flow.portal.client_id,
            "client_secret": post_flow.portal.client_secret,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    keys = KeySet.import_key_set(post_flow.browser.get("/jwks.json").get_json())
    token = jwt.decode(response.get_json()["id_token"], keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"


def test_basic_auth_is_refused_for_a_client_registered_for_post(post_flow: Flow) -> None:
    callback = post_flow.code()
    response = post_flow.redeem(callback["code"])
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def test_public_client_redeems_with_pkce_alone(public_flow: Flow) -> None:
    callback = public_flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": callback["code"],
        "redirect_uri": public_flow.portal.redirect_uri,
        "code_verifier": public_flow.verifier,
        "client_id": public_flow.portal.client_id,
    }
    response = public_flow.browser.post("/token", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    access_token = response.get_json()["access_token"]
    info = public_flow.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    ).get_json()
    assert info["citizen_id"] == "087084000999"


def test_public_client_without_verifier_is_refused(public_flow: Flow) -> None:
    callback = public_flow.code()
    response = public_flow.browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": public_flow.portal.redirect_uri,
            "client_id": public_flow.portal.client_id,
        },
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_pairwise_subjects_differ_between_sectors(app: Flask, flow: Flow) -> None:
    first = flow.redeem(flow.code()["code"]).get_json()
    with app.app_context():
        other = make_portal(redirect_uri="https://thue.example.vn/cb")
    second_flow = Flow(flow.browser, other, flow.totp_secret, flow.advance)
    callback = second_flow.follow_to_portal(
        second_flow.consent(second_flow.authorize(nonce="another-nonce-value-123"))
    )
    assert other.client_secret
    second = second_flow.redeem(callback["code"]).get_json()
    keys = KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())
    sub_one = jwt.decode(first["id_token"], keys).claims["sub"]
    sub_two = jwt.decode(second["id_token"], keys).claims["sub"]
    assert sub_one != sub_two


def test_userinfo_without_a_token_is_refused(flow: Flow) -> None:
    response = flow.browser.get("/userinfo")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_password_only_account_cannot_reach_loa2(app: Flask) -> None:
    with clock.frozen(START) as advance, app.app_context():
        ensure_keys()
        make_citizen()
        make_account(with_totp=False)
        portal = make_portal()
    flow = Flow(english(app), portal, None, advance)
    response = flow.sign_in(flow.authorize())
    callback = flow.follow_to_portal(response)
    assert callback["error"] == "unmet_authentication_requirements"


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
def test_a_wrong_method_at_a_machine_endpoint_is_answered_in_json(flow: Flow, path: str) -> None:
    response = flow.browser.get(path)
    assert response.status_code == 405
    assert response.get_json()["error"] == "invalid_request"
    assert "POST" in response.headers["Allow"]
