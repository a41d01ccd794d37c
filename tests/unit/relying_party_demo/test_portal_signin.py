"""Signing in at the portal: the redirect to the provider, and every check on the way back.

``fake_provider`` answers in memory and starts valid; each test breaks one thing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import ECKey

from relying_party_demo.sessions import session_store
from relying_party_demo.signin import (
    MAX_PENDING_SIGN_INS,
    SignInError,
    check_authorized_party,
    check_response_issuer,
    check_userinfo_subject,
)

if TYPE_CHECKING:
    # Only for annotations: the fixture module is this folder's conftest.py.
    from conftest import FakeProvider

StartSignIn = Callable[..., dict[str, str]]
ISSUER = "http://localhost:5000"


def error_code(response: Any) -> str:
    page = BeautifulSoup(response.text, "html.parser")
    code = page.select_one("[data-error-code]")
    assert code is not None, response.text
    return code.get_text()


def error_detail(response: Any) -> str | None:
    detail = BeautifulSoup(response.text, "html.parser").select_one("[data-error-detail]")
    return None if detail is None else detail.get_text()


def assert_signed_out(client: FlaskClient) -> None:
    assert client.get("/me").status_code == 302


# --- The redirect to the provider ---------------------------------------------------------------


def test_login_redirects_to_the_provider_with_pkce_state_and_nonce(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    response = portal_client.get("/login")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/authorize"
    query = dict(parse_qsl(location.query))
    assert query["response_type"] == "code"
    assert query["client_id"] == "portal-test-client"
    assert query["redirect_uri"] == "http://127.0.0.1:5001/callback"
    assert query["scope"] == "openid profile citizen_id"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 20
    assert len(query["nonce"]) >= 32
    cookie = portal_client.get_cookie("portal_session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_each_login_has_its_own_state_and_nonce(start_sign_in: StartSignIn) -> None:
    first, second = start_sign_in(), start_sign_in()
    assert first["state"] != second["state"]


def test_pending_sign_ins_are_bounded(
    portal_client: FlaskClient, start_sign_in: StartSignIn
) -> None:
    """A citizen who clicks "sign in" again and again keeps a bounded session."""
    queries = [start_sign_in() for _ in range(MAX_PENDING_SIGN_INS + 3)]
    with portal_client.session_transaction() as session:
        assert sum(key.startswith("_state_") for key in session) == MAX_PENDING_SIGN_INS
    cookie = portal_client.get_cookie("portal_session")
    assert cookie is not None
    assert len(cookie.value) == 43  # the session id alone
    response = portal_client.get("/callback", query_string=queries[0])
    assert error_code(response) == "invalid_state"
    assert portal_client.get("/callback", query_string=queries[-1]).status_code == 303


def test_login_refuses_a_provider_whose_discovery_names_another_issuer(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    fake_provider.metadata["issuer"] = "http://evil.example"
    response = portal_client.get("/login")
    assert response.status_code == 502
    assert error_code(response) == "discovery_issuer_mismatch"


def test_login_when_the_provider_is_unreachable_is_a_page(portal_client: FlaskClient) -> None:
    response = portal_client.get("/login")
    assert response.status_code == 502
    assert error_code(response) == "provider_unreachable"
    assert "Traceback" not in response.text


# --- A successful sign-in ----------------------------------------------------------------------


def test_sign_in_shows_the_verified_citizen(
    portal_client: FlaskClient,
    start_sign_in: StartSignIn,
    fake_provider: FakeProvider,
    citizen: dict[str, str],
) -> None:
    response = portal_client.get("/callback", query_string=start_sign_in())
    assert response.status_code == 303
    assert response.headers["Location"] == "/me"

    response = portal_client.get("/me")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = BeautifulSoup(response.text, "html.parser")
    shown = {dd["data-claim"]: dd.get_text() for dd in page.select("dd[data-claim]")}
    assert shown == {
        "name": citizen["name"],
        "birthdate": "17/05/1990",
        "citizen_id": citizen["citizen_id"],
    }
    tables = page.select("table.claims")
    assert len(tables) == 2
    id_token_names = {code.get_text() for code in tables[0].select("tbody th code")}
    assert {"iss", "sub", "aud", "exp", "iat", "nonce", "acr", "amr"} <= id_token_names
    userinfo_names = {code.get_text() for code in tables[1].select("tbody th code")}
    assert userinfo_names == set(citizen)
    assert page.select_one("[data-action=sign-out]") is not None


def test_token_request_uses_basic_auth_and_the_code_verifier(
    signed_in: FlaskClient, fake_provider: FakeProvider
) -> None:
    (token_request,) = fake_provider.token_requests
    assert token_request.headers["Authorization"].startswith("Basic ")
    body = token_request.body
    form = dict(parse_qsl(body.decode() if isinstance(body, bytes) else body or ""))
    assert form["grant_type"] == "authorization_code"
    assert form["redirect_uri"] == "http://127.0.0.1:5001/callback"
    assert len(form["code_verifier"]) >= 43
    assert "client_secret" not in form


def test_cookie_holds_only_a_random_session_id(signed_in: FlaskClient, portal: Flask) -> None:
    cookie = signed_in.get_cookie("portal_session")
    assert cookie is not None
    # 32 random bytes, base64url: no data, no signature, nothing to decode.
    assert len(cookie.value) == 43
    assert "." not in cookie.value
    assert "001090012345" not in cookie.value
    with signed_in.session_transaction() as session:
        assert set(session) == {"id_token_claims", "userinfo", "sign_in"}
        assert session["userinfo"]["citizen_id"] == "001090012345"
        # The raw tokens are kept server-side, for the inspector and for logout's hint.
        assert session["sign_in"]["id_token"].count(".") == 2
        assert session["sign_in"]["access_token"].count(".") == 2
    stored = session_store(portal).load(cookie.value)
    assert stored is not None
    assert stored["sign_in"]["id_token"].count(".") == 2


def test_sign_in_gives_the_session_a_new_id(
    portal_client: FlaskClient, start_sign_in: StartSignIn, portal: Flask
) -> None:
    query = start_sign_in()
    before = portal_client.get_cookie("portal_session")
    assert before is not None
    assert portal_client.get("/callback", query_string=query).status_code == 303
    after = portal_client.get_cookie("portal_session")
    assert after is not None
    assert after.value != before.value
    # The id a sign-in started under (perhaps planted by an attacker) is no session any more.
    assert session_store(portal).load(before.value) is None


def test_sign_in_starts_a_fresh_session(
    portal_client: FlaskClient, start_sign_in: StartSignIn
) -> None:
    query = start_sign_in()
    with portal_client.session_transaction() as session:
        session["planted"] = "by an attacker"
    portal_client.get("/callback", query_string=query)
    with portal_client.session_transaction() as session:
        assert "planted" not in session


def test_sign_in_without_iss_when_the_provider_does_not_advertise_it(
    portal_client: FlaskClient, start_sign_in: StartSignIn, fake_provider: FakeProvider
) -> None:
    del fake_provider.metadata["authorization_response_iss_parameter_supported"]
    query = start_sign_in()
    del query["iss"]
    assert portal_client.get("/callback", query_string=query).status_code == 303


def test_logout_ends_the_local_session(signed_in: FlaskClient) -> None:
    page = BeautifulSoup(signed_in.get("/me").text, "html.parser")
    token = page.select_one("input[name=csrf_token]")
    assert token is not None
    response = signed_in.post("/logout", data={"csrf_token": token["value"]})
    assert response.status_code == 303
    # On to the provider's end-session endpoint (test_portal_logout.py checks its parameters).
    assert response.headers["Location"].startswith(f"{ISSUER}/logout?")
    assert_signed_out(signed_in)


# --- Errors the provider sends back ------------------------------------------------------------


def test_access_denied_for_a_pending_sign_in_is_a_clear_page(
    portal_client: FlaskClient, start_sign_in: StartSignIn
) -> None:
    state = start_sign_in()["state"]
    response = portal_client.get(
        "/callback",
        query_string={
            "error": "access_denied",
            "error_description": "The citizen declined",
            "state": state,
            "iss": ISSUER,
        },
    )
    assert response.status_code == 400
    assert error_code(response) == "access_denied"
    assert error_detail(response) == "The citizen declined"
    assert "Bạn đã từ chối" in response.text
    assert "Traceback" not in response.text
    assert_signed_out(portal_client)


def test_access_denied_without_a_provider_is_a_clear_page(portal_client: FlaskClient) -> None:
    response = portal_client.get(
        "/callback",
        query_string={
            "error": "access_denied",
            "error_description": "Call 1900 0000 to unlock your account",
            "state": "not-a-state-this-portal-made",
        },
    )
    assert response.status_code == 400
    assert error_code(response) == "access_denied"
    assert "Bạn đã từ chối" in response.text
    assert "Traceback" not in response.text
    # A response to no sign-in of ours does not get to put its words on the page.
    assert "1900" not in response.text


def test_an_error_code_that_is_not_a_token_is_not_echoed(portal_client: FlaskClient) -> None:
    response = portal_client.get("/callback", query_string={"error": "<b>pay here</b>"})
    assert response.status_code == 400
    assert error_code(response) == "invalid_error_code"
    assert "pay here" not in response.text


def test_an_error_ends_the_pending_sign_in(
    portal_client: FlaskClient, start_sign_in: StartSignIn
) -> None:
    query = start_sign_in()
    portal_client.get("/callback", query_string={"error": "access_denied", **query})
    response = portal_client.get("/callback", query_string=query)
    assert response.status_code == 400
    assert error_code(response) == "invalid_state"


def test_token_endpoint_error_is_a_clear_page(
    portal_client: FlaskClient, start_sign_in: StartSignIn, fake_provider: FakeProvider
) -> None:
    query = start_sign_in()
    fake_provider.grants[query["code"]].used = True
    response = portal_client.get("/callback", query_string=query)
    assert response.status_code == 400
    assert error_code(response) == "invalid_grant"
    assert_signed_out(portal_client)


# --- The authorization response ----------------------------------------------------------------


@pytest.mark.spec("RFC9207-2.4")
def test_mismatching_iss_parameter_is_refused(portal_client: FlaskClient) -> None:
    response = portal_client.get(
        "/callback",
        query_string={"code": "a-code", "state": "a-state", "iss": "http://evil.example"},
    )
    assert response.status_code == 400
    assert error_code(response) == "issuer_mismatch"
    assert "Traceback" not in response.text


@pytest.mark.spec("RFC9207-2.4")
def test_mismatching_iss_parameter_is_refused_before_redeeming_the_code(
    portal_client: FlaskClient, start_sign_in: StartSignIn, fake_provider: FakeProvider
) -> None:
    query = {**start_sign_in(), "iss": f"{ISSUER}/"}
    response = portal_client.get("/callback", query_string=query)
    assert response.status_code == 400
    assert error_code(response) == "issuer_mismatch"
    assert fake_provider.token_requests == []
    # The pending sign-in is over: the genuine response cannot be replayed after a mix-up.
    response = portal_client.get("/callback", query_string={**query, "iss": ISSUER})
    assert error_code(response) == "invalid_state"


@pytest.mark.spec("RFC9207-2.4")
def test_missing_iss_is_refused_when_the_provider_advertises_it(
    portal_client: FlaskClient, start_sign_in: StartSignIn, fake_provider: FakeProvider
) -> None:
    query = start_sign_in()
    del query["iss"]
    response = portal_client.get("/callback", query_string=query)
    assert response.status_code == 400
    assert error_code(response) == "missing_issuer"
    assert fake_provider.token_requests == []


@pytest.mark.parametrize("state", [None, "", "forged-state"])
def test_unknown_state_is_refused(
    portal_client: FlaskClient, start_sign_in: StartSignIn, state: str | None
) -> None:
    query = start_sign_in()
    if state is None:
        del query["state"]
    else:
        query["state"] = state
    response = portal_client.get("/callback", query_string=query)
    assert response.status_code == 400
    assert error_code(response) == "invalid_state"
    assert_signed_out(portal_client)


def test_state_from_another_browser_is_refused(portal: Flask, start_sign_in: StartSignIn) -> None:
    """Login CSRF: an attacker's own code and state, sent to a victim's browser."""
    victim = portal.test_client()
    response = victim.get("/callback", query_string=start_sign_in())
    assert response.status_code == 400
    assert error_code(response) == "invalid_state"


def test_a_callback_cannot_be_replayed(
    portal_client: FlaskClient, start_sign_in: StartSignIn
) -> None:
    query = start_sign_in()
    assert portal_client.get("/callback", query_string=query).status_code == 303
    response = portal_client.get("/callback", query_string=query)
    assert response.status_code == 400
    assert error_code(response) == "invalid_state"


def test_missing_code_is_refused(portal_client: FlaskClient, start_sign_in: StartSignIn) -> None:
    query = start_sign_in()
    del query["code"]
    response = portal_client.get("/callback", query_string=query)
    assert response.status_code == 400
    assert error_code(response) == "missing_code"


# --- The ID token ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"nonce": "another-nonce"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"iss": "http://evil.example"}, "iss"),
        ({"aud": "another-client"}, "aud"),
        ({"aud": ["another-client"], "azp": "portal-test-client"}, "aud"),
        ({"aud": None}, "aud"),
        ({"azp": "another-client"}, "azp"),
        ({"exp": int(time.time()) - 3600}, "exp"),
        ({"sub": None}, "sub"),
        ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, "at_hash"),
    ],
)
def test_invalid_id_token_is_refused(
    portal_client: FlaskClient,
    start_sign_in: StartSignIn,
    fake_provider: FakeProvider,
    claims: dict[str, Any],
    reason: str,
) -> None:
    fake_provider.id_token_claims = claims
    response = portal_client.get("/callback", query_string=start_sign_in())
    assert response.status_code == 400
    assert error_code(response) == "invalid_id_token"
    detail = error_detail(response)
    assert detail is not None
    assert reason in detail
    assert "Traceback" not in response.text
    assert_signed_out(portal_client)


def test_id_token_signed_by_another_key_is_refused(
    portal_client: FlaskClient, start_sign_in: StartSignIn, fake_provider: FakeProvider
) -> None:
    fake_provider.signing_key = ECKey.generate_key("P-256", parameters={"kid": "test-key-1"})
    response = portal_client.get("/callback", query_string=start_sign_in())
    assert response.status_code == 400
    assert error_code(response) == "invalid_id_token"
    assert_signed_out(portal_client)


def test_token_response_without_id_token_is_refused(
    portal_client: FlaskClient, start_sign_in: StartSignIn, fake_provider: FakeProvider
) -> None:
    fake_provider.token_response = {"access_token": "x", "token_type": "Bearer"}
    response = portal_client.get("/callback", query_string=start_sign_in())
    assert response.status_code == 400
    assert error_code(response) == "missing_id_token"
    assert_signed_out(portal_client)


# --- UserInfo ----------------------------------------------------------------------------------


@pytest.mark.spec("OIDC-Core-5.3.4")
def test_userinfo_for_another_subject_is_refused(
    portal_client: FlaskClient, start_sign_in: StartSignIn, fake_provider: FakeProvider
) -> None:
    fake_provider.userinfo_claims = {"sub": "someone-else"}
    response = portal_client.get("/callback", query_string=start_sign_in())
    assert response.status_code == 400
    assert error_code(response) == "userinfo_subject_mismatch"
    assert_signed_out(portal_client)


# --- The checks as plain functions -------------------------------------------------------------


def test_check_response_issuer() -> None:
    check_response_issuer(None, ISSUER)
    check_response_issuer(ISSUER, ISSUER)
    with pytest.raises(SignInError) as raised:
        check_response_issuer("HTTP://LOCALHOST:5000", ISSUER)
    assert raised.value.code == "issuer_mismatch"


def test_check_authorized_party() -> None:
    check_authorized_party({"aud": "me"}, "me")
    check_authorized_party({"aud": "me", "azp": "me"}, "me")
    with pytest.raises(SignInError) as raised:
        check_authorized_party({"aud": "me", "azp": "them"}, "me")
    assert raised.value.code == "azp_mismatch"


def test_check_userinfo_subject() -> None:
    check_userinfo_subject({"sub": "a"}, {"sub": "a"})
    with pytest.raises(SignInError):
        check_userinfo_subject({}, {"sub": "a"})
