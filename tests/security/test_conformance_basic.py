"""The OpenID Foundation's Basic OP plan (``oidcc-basic-certification-test-plan``), module by
module, in process: each test does what the module does and asserts what the module fails on
(FAILURE); what it only warns about is said in a comment.

The suite's client is ``conformance`` (client_secret_basic, scope ``openid``); each module
breaks its valid request one way. Every request here carries PKCE, which this provider requires
of every client while the plan sends none (``test_the_basic_plan_runs_without_pkce``).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from joserfc import jwt

from idp.oidc.clients import RegistrationError, register_client
from tests.integration.conftest import Flow, query
from tests.security.conftest import (
    CONFORMANCE_SCOPE,
    ERROR_DESCRIPTION,
    ERROR_RESPONSE_PARAMETERS,
    ISSUER,
    Suite,
    id_token,
    keys,
    portal_receives,
    redeem,
    second_client,
    shows_a_page,
    suite_with,
    userinfo,
)

#: The suite's state for negative modules: 128 characters, to catch a provider that cuts it.
LONG_STATE = "s" * 64 + "0123456789-._~" * 4 + "x" * 8
#: Claims and their JSON types that ValidateUserInfoStandardClaims checks (OIDC Core §5.1).
STANDARD_CLAIM_TYPES: dict[str, type] = {
    "sub": str,
    "name": str,
    "given_name": str,
    "family_name": str,
    "middle_name": str,
    "nickname": str,
    "preferred_username": str,
    "profile": str,
    "picture": str,
    "website": str,
    "email": str,
    "email_verified": bool,
    "gender": str,
    "birthdate": str,
    "zoneinfo": str,
    "locale": str,
    "phone_number": str,
    "phone_number_verified": bool,
    "address": dict,
    "updated_at": int,
}
ADDRESS_MEMBERS = {"formatted", "street_address", "locality", "region", "postal_code", "country"}


def _check_id_token(flow: Flow, token: str, *, nonce: str | None) -> dict[str, Any]:
    """What performIdTokenValidation fails on: signature by a published key named by ``kid``,
    iss, aud, exp, iat, nonce, sub (OIDC Core §3.1.3.7)."""
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    published = flow.browser.get("/jwks.json").get_json()["keys"]
    assert header["kid"] in {key["kid"] for key in published}  # OIDCC-10.1
    decoded = jwt.decode(token, keys(flow))
    claims = dict(decoded.claims)
    assert claims["iss"] == ISSUER
    assert claims["aud"] == flow.portal.client_id
    assert claims["azp"] == flow.portal.client_id
    assert claims["exp"] > claims["iat"]
    assert isinstance(claims["sub"], str)
    assert claims["sub"]
    assert isinstance(claims["auth_time"], int)
    if nonce is None:
        assert "nonce" not in claims
    else:
        assert claims["nonce"] == nonce
    return claims


def _complete(flow: Flow, callback: dict[str, str], *, nonce: str | None) -> dict[str, Any]:
    """The token request and the resource call that end every positive module."""
    assert callback["state"] == flow.params["state"]
    assert callback["iss"] == ISSUER
    response = flow.redeem(callback["code"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert "no-store" in response.headers["Cache-Control"]
    tokens: dict[str, Any] = response.get_json()
    assert tokens["token_type"] == "Bearer"
    assert isinstance(tokens["expires_in"], int)
    assert tokens["expires_in"] > 0
    claims = _check_id_token(flow, tokens["id_token"], nonce=nonce)
    info = userinfo(flow, tokens["access_token"])
    assert info.status_code == 200
    assert info.get_json()["sub"] == claims["sub"]
    return {**tokens, "claims": claims, "userinfo": info.get_json()}


def _check_userinfo_claims(info: dict[str, Any]) -> None:
    """ValidateUserInfoStandardClaims, EnsureUserInfoBirthDateValid (FAILURE)."""
    for claim, kind in STANDARD_CLAIM_TYPES.items():
        if claim in info:
            assert isinstance(info[claim], kind), (claim, info[claim])
    if "address" in info:
        for member in set(info["address"]) & ADDRESS_MEMBERS:
            assert isinstance(info["address"][member], str)
    if "birthdate" in info:
        date.fromisoformat(info["birthdate"])


# OIDCCServerTest and client authentication


@pytest.mark.spec("OIDCC-OIDCCServerTest")
def test_server_test(conformance: Suite) -> None:
    callback = conformance.code()
    assert set(callback) == {"code", "state", "iss"}  # CheckMatchingCallbackParameters
    tokens = _complete(conformance, callback, nonce="nonce-1234567890")
    assert set(tokens["claims"]) >= {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce"}


@pytest.mark.spec("OIDCC-OIDCCServerTestClientSecretPost")
def test_server_test_client_secret_post(conformance_post: Suite) -> None:
    callback = conformance_post.code()
    secret = conformance_post.portal.client_secret
    assert secret
    response = conformance_post.browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": conformance_post.portal.redirect_uri,
            "code_verifier": conformance_post.verifier,
            "client_id": conformance_post.portal.client_id,
            "client_secret": secret,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    _check_id_token(conformance_post, response.get_json()["id_token"], nonce="nonce-1234567890")


@pytest.mark.spec("OIDCC-OIDCCResponseTypeMissing")
def test_response_type_missing(conformance: Suite) -> None:
    response = conformance.authorize(response_type=None, state=LONG_STATE)
    callback = query(response.headers["Location"])
    assert callback["error"] in ("invalid_request", "unsupported_response_type")
    assert callback["state"] == LONG_STATE
    assert callback["iss"] == ISSUER
    assert set(callback) <= ERROR_RESPONSE_PARAMETERS
    assert ERROR_DESCRIPTION.fullmatch(callback["error_description"])


# ID token signing


@pytest.mark.spec("OIDCC-OIDCCIdTokenSignature")
def test_id_token_signature(conformance_rs256: Suite) -> None:
    """Not applicable to a static client (the module registers one without an algorithm);
    a portal registered for RS256 gets an RS256 token with a ``kid``."""
    tokens = redeem(conformance_rs256, conformance_rs256.code())
    header = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[0] + "=="))
    assert header["alg"] == "RS256"
    _check_id_token(conformance_rs256, tokens["id_token"], nonce="nonce-1234567890")


@pytest.mark.spec("OIDCC-OIDCCIdTokenUnsigned")
def test_id_token_unsigned_is_skipped_because_none_is_not_offered(
    conformance: Suite, app: Flask
) -> None:
    metadata = conformance.browser.get("/.well-known/openid-configuration").get_json()
    assert "none" not in metadata["id_token_signing_alg_values_supported"]
    with app.app_context(), pytest.raises(RegistrationError):
        register_client(
            name="Unsigned",
            redirect_uris=["https://a.example/cb"],
            scope="openid",
            id_token_alg="none",
        )


# UserInfo


@pytest.mark.spec("OIDCC-OIDCCUserInfoGet")
def test_userinfo_get(conformance: Suite) -> None:
    tokens = _complete(conformance, conformance.code(), nonce="nonce-1234567890")
    assert tokens["userinfo"] == {"sub": tokens["claims"]["sub"]}  # scope openid: sub only


@pytest.mark.spec("OIDCC-OIDCCUserInfoPostHeader")
def test_userinfo_post_header(conformance: Suite) -> None:
    tokens = redeem(conformance, conformance.code(scope="openid profile"))
    response = conformance.browser.post(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    info = response.get_json()
    assert info["sub"] == id_token(conformance, tokens["id_token"])["sub"]
    _check_userinfo_claims(info)


@pytest.mark.spec("OIDCC-OIDCCUserInfoPostBody")
def test_userinfo_post_body_is_not_supported(conformance: Suite) -> None:
    """RFC 6750 §2.2 lets a resource server accept the token as a form parameter (MAY); we do
    not. The module then ends with a WARNING ("not required by the standards"), not a
    FAILURE: what it needs is an HTTP error, which a Bearer challenge is."""
    tokens = redeem(conformance, conformance.code())
    response = conformance.browser.post("/userinfo", data={"access_token": tokens["access_token"]})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# nonce, scopes


@pytest.mark.spec("OIDCC-OIDCCEnsureRequestWithoutNonceSucceedsForCodeFlow")
def test_request_without_nonce_succeeds_for_code_flow(conformance: Suite) -> None:
    callback = conformance.code(nonce=None)
    assert "code" in callback
    _complete(conformance, callback, nonce=None)


SCOPE_MODULES = [
    pytest.param(
        "openid profile", {"name", "family_name", "given_name", "birthdate"}, id="Profile"
    ),
    pytest.param("openid email", {"email", "email_verified"}, id="Email"),
    pytest.param("openid address", {"address"}, id="Address"),
    pytest.param("openid phone", {"phone_number", "phone_number_verified"}, id="Phone"),
    pytest.param(
        "openid email phone address profile",
        {"name", "email", "email_verified", "address", "phone_number", "phone_number_verified"},
        id="All",
    ),
]


@pytest.mark.parametrize(("scope", "claims"), SCOPE_MODULES)
@pytest.mark.spec("OIDCC-OIDCCScopeProfile/Email/Address/Phone/All")
def test_scope_modules(conformance: Suite, scope: str, claims: set[str]) -> None:
    """OIDCCCheckScopesSupportedContainScopeTest (or the module is skipped), then the userinfo
    checks. VerifyScopesReturnedInUserInfoClaims is a WARNING: for ``profile`` it wants all 14
    OIDC profile claims, and the registry has no nickname, picture, website, zoneinfo,
    locale, preferred_username, profile or updated_at to release."""
    supported = conformance.browser.get("/.well-known/openid-configuration").get_json()
    assert set(scope.split()) <= set(supported["scopes_supported"])
    tokens = _complete(conformance, conformance.code(scope=scope), nonce="nonce-1234567890")
    info = tokens["userinfo"]
    assert claims <= set(info)
    _check_userinfo_claims(info)
    if "address" in info:
        assert set(info["address"]) <= ADDRESS_MEMBERS


@pytest.mark.spec("OIDCC-OIDCEnsureOtherScopeOrderSucceeds")
def test_other_scope_order_succeeds(conformance: Suite) -> None:
    tokens = _complete(
        conformance, conformance.code(scope="email openid"), nonce="nonce-1234567890"
    )
    assert tokens["userinfo"]["email"] == "an.nguyen@example.vn"


# display, prompt, max_age, hints, locales, acr


@pytest.mark.parametrize("display", ["page", "popup", "touch", "wap", "unknown"])
@pytest.mark.spec("OIDCC-OIDCCDisplayPage/Popup")
def test_display_does_not_cause_an_error(conformance: Suite, display: str) -> None:
    response = conformance.authorize(display=display)
    assert "/signin/" in response.headers["Location"]
    _complete(conformance, conformance.code(display=display), nonce="nonce-1234567890")


@pytest.mark.spec("OIDCC-OIDCCPromptLogin")
def test_prompt_login(conformance: Suite) -> None:
    first = redeem(conformance, conformance.code())
    conformance.advance(2)
    response = conformance.authorize(prompt="login", nonce="second-nonce-12345")
    assert "/signin/" in response.headers["Location"]  # the login page again
    second = redeem(conformance, conformance.sign_in_again(prompt="login", nonce="n-2-1234"))
    one, two = id_token(conformance, first["id_token"]), id_token(conformance, second["id_token"])
    assert two["sub"] == one["sub"]
    assert two["auth_time"] > one["auth_time"]


@pytest.mark.spec("OIDCC-OIDCCPromptNoneNotLoggedIn")
def test_prompt_none_not_logged_in(conformance: Suite) -> None:
    response = conformance.authorize(prompt="none", state=LONG_STATE)
    callback = query(response.headers["Location"])
    # CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface
    assert callback["error"] in (
        "login_required",
        "interaction_required",
        "consent_required",
        "account_selection_required",
    )
    assert callback["state"] == LONG_STATE
    assert callback["iss"] == ISSUER
    assert "code" not in callback
    assert set(callback) <= ERROR_RESPONSE_PARAMETERS  # WARNING if not


@pytest.mark.spec("OIDCC-OIDCCPromptNoneLoggedIn")
def test_prompt_none_logged_in(conformance: Suite) -> None:
    first = redeem(conformance, conformance.code())
    conformance.advance(5)
    callback = portal_receives(conformance, conformance.authorize(prompt="none", nonce="n-2-12345"))
    second = _complete(conformance, callback, nonce="n-2-12345")
    one = id_token(conformance, first["id_token"])
    assert second["claims"]["sub"] == one["sub"]
    assert second["claims"]["auth_time"] == one["auth_time"]


@pytest.mark.spec("OIDCC-OIDCCMaxAge1")
def test_max_age_1(conformance: Suite) -> None:
    first = redeem(conformance, conformance.code())
    conformance.advance(2)
    response = conformance.authorize(max_age="1", nonce="n-2-12345")
    assert "/signin/" in response.headers["Location"]  # ExpectSecondLoginPage
    second = redeem(conformance, conformance.sign_in_again(max_age="1", nonce="n-3-12345"))
    one, two = id_token(conformance, first["id_token"]), id_token(conformance, second["id_token"])
    assert two["auth_time"] > one["auth_time"]  # present, later, recent


@pytest.mark.spec("OIDCC-OIDCCMaxAge10000")
def test_max_age_10000(conformance: Suite) -> None:
    first = redeem(conformance, conformance.code())
    conformance.advance(60)
    callback = portal_receives(conformance, conformance.authorize(max_age="10000", nonce="n-2-1"))
    second = _complete(conformance, callback, nonce="n-2-1")
    assert second["claims"]["auth_time"] == id_token(conformance, first["id_token"])["auth_time"]


@pytest.mark.spec("OIDCC-OIDCCEnsureRequestWithUnknownParameterSucceeds")
def test_request_with_unknown_parameter_succeeds(conformance: Suite) -> None:
    _complete(conformance, conformance.code(extra="foobar"), nonce="nonce-1234567890")


@pytest.mark.spec("OIDCC-OIDCCIdTokenHint")
def test_id_token_hint(conformance: Suite) -> None:
    first = redeem(conformance, conformance.code())
    response = conformance.authorize(
        prompt="none", id_token_hint=first["id_token"], nonce="n-2-12345"
    )
    second = _complete(conformance, portal_receives(conformance, response), nonce="n-2-12345")
    one = id_token(conformance, first["id_token"])
    assert second["claims"]["sub"] == one["sub"]
    assert second["claims"]["auth_time"] == one["auth_time"]


@pytest.mark.spec("OIDCC-OIDCCLoginHint")
def test_login_hint(conformance: Suite) -> None:
    """The suite's default hint is ``buffy@<issuer host>``: not a citizen-ID number, so it
    fills nothing in, and it must not cause an error."""
    response = conformance.authorize(login_hint="buffy@localhost")
    page = conformance.browser.get(response.headers["Location"])
    field = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(
        "input[name=citizen_id]"
    )
    assert field is not None
    assert not field.get("value")
    _complete(conformance, conformance.code(login_hint="buffy@localhost"), nonce="nonce-1234567890")


@pytest.mark.parametrize(("ui_locales", "lang"), [("se", "en"), ("vi-VN en", "vi"), ("en", "en")])
@pytest.mark.spec("OIDCC-OIDCCUiLocales")
def test_ui_locales(conformance: Suite, ui_locales: str, lang: str) -> None:
    response = conformance.authorize(ui_locales=ui_locales)
    page = conformance.browser.get(response.headers["Location"])
    assert page.status_code == 200
    assert re.search(rf'<html lang="{lang}"', page.get_data(as_text=True))


@pytest.mark.spec("OIDCC-OIDCCClaimsLocales")
def test_claims_locales(conformance: Suite) -> None:
    _complete(conformance, conformance.code(claims_locales="se"), nonce="nonce-1234567890")


@pytest.mark.spec("OIDCC-OIDCCEnsureRequestWithAcrValuesSucceeds")
def test_request_with_acr_values_succeeds(conformance: Suite) -> None:
    supported = conformance.browser.get("/.well-known/openid-configuration").get_json()
    acr_values = " ".join(supported["acr_values_supported"])
    tokens = _complete(
        conformance, conformance.code(acr_values=acr_values), nonce="nonce-1234567890"
    )
    # ValidateIdTokenACRClaimAgainstAcrValuesRequest (WARNING): one of the values asked for.
    assert tokens["claims"]["acr"] in acr_values.split()


# Codes


def _check_reuse_refused(response: Any) -> None:
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == "invalid_grant"
    if "error_description" in body:
        assert ERROR_DESCRIPTION.fullmatch(body["error_description"])
        assert not set(body["error_description"]) & {"\r", "\n", "\t"}


@pytest.mark.spec("OIDCC-OIDCCAuthCodeReuse")
def test_code_reuse(conformance: Suite) -> None:
    callback = conformance.code()
    assert conformance.redeem(callback["code"]).status_code == 200
    _check_reuse_refused(conformance.redeem(callback["code"]))


@pytest.mark.spec("OIDCC-OIDCCAuthCodeReuseAfter30Seconds")
def test_code_reuse_after_30_seconds(conformance: Suite) -> None:
    callback = conformance.code()
    tokens = conformance.redeem(callback["code"]).get_json()
    conformance.advance(30)
    _check_reuse_refused(conformance.redeem(callback["code"]))
    # RFC 6749 §4.1.2 SHOULD (a WARNING in the suite): the first access token is revoked.
    assert userinfo(conformance, tokens["access_token"]).status_code == 401


@pytest.mark.spec("OIDCC-OIDCCEnsureRegisteredRedirectUri")
def test_ensure_registered_redirect_uri(conformance: Suite) -> None:
    random_uri = "https://conformance.example.org/test/a/bad-redirect-uri/callback"
    assert shows_a_page(conformance.authorize(redirect_uri=random_uri))


@pytest.mark.spec("OIDCC-OIDCCEnsurePostRequestSucceeds")
def test_post_request_succeeds(conformance: Suite) -> None:
    response = conformance.browser.post("/authorize", data=conformance.authorization_params())
    response = conformance.second_factor_if_asked(conformance.sign_in(response))
    callback = portal_receives(conformance, conformance.consent(response))
    _complete(conformance, callback, nonce="nonce-1234567890")


# Request objects


def _request_object(flow: Suite, **changes: str | None) -> dict[str, str]:
    """What AbstractBuildRequestObjectRedirectToAuthorizationEndpoint sends: the request
    object by value, with response_type, client_id, scope and redirect_uri repeated outside;
    state, nonce (and PKCE) only inside the object."""
    inside = flow.authorization_params(**changes)
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(inside).encode()).rstrip(b"=").decode()
    outside = ("response_type", "client_id", "scope", "redirect_uri")
    return {**{k: inside[k] for k in outside}, "request": f"{header}.{payload}."}


@pytest.mark.spec("OIDCC-OIDCCUnsignedRequestObjectSupportedCorrectlyOrRejectedAsUnsupported")
def test_unsigned_request_object_is_rejected_as_unsupported(conformance: Suite) -> None:
    """Whatever only the object carries (here state, nonce, PKCE) is not judged: the answer is
    request_not_supported (OIDC Core §6.1, §3.1.2.6), and the module is skipped."""
    params = _request_object(conformance)
    response = conformance.browser.get("/authorize", query_string=params)
    callback = query(response.headers["Location"])
    assert callback["error"] == "request_not_supported"
    assert callback["iss"] == ISSUER
    assert "code" not in callback


@pytest.mark.spec("OIDCC-OIDCCRequestUriUnsignedSupportedCorrectlyOrRejectedAsUnsupported")
def test_request_uri_is_rejected_as_unsupported(conformance: Suite) -> None:
    params = _request_object(conformance)
    params["request_uri"] = "https://conformance.example.org/requests/abc"
    del params["request"]
    callback = query(conformance.browser.get("/authorize", query_string=params).headers["Location"])
    assert callback["error"] == "request_uri_not_supported"
    assert callback["iss"] == ISSUER


@pytest.mark.spec("OIDCC-OIDCCEnsureRequestObjectWithRedirectUri")
def test_request_object_with_an_invalid_outer_redirect_uri_gets_a_page(conformance: Suite) -> None:
    """The valid redirect URI is inside the object, the outer one is not registered: without
    request objects the provider must show an error, never redirect (not even with
    request_not_supported to the registered URI: EnsureOPDoesNotUseDefaultRedirectUri...)."""
    params = _request_object(conformance)
    params["redirect_uri"] = "https://conformance.example.org/invalid-redirect"
    assert shows_a_page(conformance.browser.get("/authorize", query_string=params))


def test_discovery_says_request_objects_are_not_supported(conformance: Suite) -> None:
    metadata = conformance.browser.get("/.well-known/openid-configuration").get_json()
    assert metadata["request_parameter_supported"] is False
    assert metadata["request_uri_parameter_supported"] is False


# claims, refresh tokens


@pytest.mark.spec("OIDCC-OIDCCClaimsEssential")
def test_claims_essential(conformance: Suite) -> None:
    claims = json.dumps({"userinfo": {"name": {"essential": True}}})
    tokens = _complete(conformance, conformance.code(claims=claims), nonce="nonce-1234567890")
    assert tokens["userinfo"]["name"] == "Nguyễn Văn An"  # EnsureUserInfoContainsName (WARNING)
    assert "name" not in tokens["claims"]  # EnsureIdTokenDoesNotContainName (WARNING)
    _check_userinfo_claims(tokens["userinfo"])


@pytest.mark.spec("OIDCC-OIDCCRefreshToken")
def test_refresh_token(conformance: Suite, app: Flask) -> None:
    scope = "openid offline_access"
    first = redeem(conformance, conformance.code(scope=scope, prompt="consent"))
    assert re.fullmatch(r"[\x20-\x7E]+", first["refresh_token"])  # RFC 6749 A.17
    metadata = conformance.browser.get("/.well-known/openid-configuration").get_json()
    assert "refresh_token" in metadata["grant_types_supported"]  # WARNING if not
    conformance.advance(1)  # WaitForOneSecond: iat must differ
    response = conformance.refresh(first["refresh_token"], scope=scope)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"  # CheckTokenEndpointCacheHeaders
    assert response.headers["Pragma"] == "no-cache"
    second = response.get_json()
    assert second["token_type"] == "Bearer"
    assert second["access_token"] != first["access_token"]
    # CompareIdTokenClaims (OIDC Core §12.2)
    one, two = id_token(conformance, first["id_token"]), id_token(conformance, second["id_token"])
    for claim in ("iss", "sub", "aud", "auth_time", "azp"):
        assert two[claim] == one[claim], claim
    assert two["iat"] != one["iat"]
    assert userinfo(conformance, second["access_token"]).status_code == 200

    # The second client's refresh token, presented by the first client.
    client2 = second_client(app, conformance)
    callback = client2.follow_to_portal(
        client2.consent(client2.authorize(scope=scope, prompt="consent", nonce="client-2-nonce"))
    )
    theirs = redeem(client2, callback)
    refused = conformance.refresh(theirs["refresh_token"], scope=scope)
    assert refused.status_code == 400
    assert refused.mimetype == "application/json"
    assert refused.get_json()["error"] == "invalid_grant"
    # ...and the second client's token still works for the second client.
    assert client2.refresh(theirs["refresh_token"]).status_code == 200


# Without PKCE: the conformance plans send no code_challenge (RFC 9700 §2.1.1 lets a confidential
# client registered so rely on the nonce instead).


@pytest.fixture
def without_pkce(app: Flask) -> Iterator[Suite]:
    yield from suite_with(app, scope=CONFORMANCE_SCOPE, require_pkce=False)


@pytest.mark.spec("OIDCC-OIDCCServerTest")
def test_a_client_registered_without_pkce_signs_in_with_a_nonce(without_pkce: Suite) -> None:
    callback = without_pkce.code(code_challenge=None, code_challenge_method=None)
    response = without_pkce.redeem(callback["code"], code_verifier=None)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id_token"]


def test_without_pkce_the_nonce_is_required(without_pkce: Suite) -> None:
    response = without_pkce.authorize(code_challenge=None, code_challenge_method=None, nonce=None)
    assert query(response.headers["Location"])["error"] == "invalid_request"


def test_without_pkce_plain_is_still_refused(without_pkce: Suite) -> None:
    response = without_pkce.authorize(code_challenge_method="plain")
    assert query(response.headers["Location"])["error"] == "invalid_request"


@pytest.mark.spec("RFC9700-4.8.2")
def test_without_pkce_a_verifier_at_the_token_endpoint_is_refused(without_pkce: Suite) -> None:
    callback = without_pkce.code(code_challenge=None, code_challenge_method=None)
    response = without_pkce.redeem(callback["code"], code_verifier="v" * 50)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_a_client_that_requires_pkce_still_does(conformance: Suite) -> None:
    response = conformance.authorize(code_challenge=None, code_challenge_method=None)
    assert query(response.headers["Location"])["error"] == "invalid_request"
