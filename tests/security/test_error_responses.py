"""Error responses as the conformance suite checks them on every negative module
(``performGenericAuthorizationEndpointErrorResponseValidation`` and the token endpoint's
``ValidateErrorDescriptionFromTokenEndpointResponseError``): ``state`` exactly as sent, ``iss``,
no code, only the parameters the specifications define, and an ``error_description`` within
RFC 6749's character set, even when the request carries characters outside it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from werkzeug.test import TestResponse

from tests.integration.conftest import Flow, form_fields, query
from tests.security.conftest import (
    ERROR_DESCRIPTION,
    ERROR_RESPONSE_PARAMETERS,
    ISSUER,
    form_post_fields,
    portal_receives,
    redeem,
    shows_a_page,
    userinfo,
)

#: A long state of every character a portal may use (the suite sends 128 characters to check
#: that the provider does not corrupt it).
LONG_STATE = ("aZ09-._~!$'()*+,;=:@/?" * 6)[:128]


def _check_error_response(callback: dict[str, str], errors: set[str], state: str) -> None:
    assert callback.get("error") in errors, callback
    assert callback["state"] == state
    assert callback["iss"] == ISSUER  # RFC 9207 §2
    assert "code" not in callback
    assert set(callback) <= ERROR_RESPONSE_PARAMETERS, callback
    if "error_description" in callback:
        assert ERROR_DESCRIPTION.fullmatch(callback["error_description"]), callback


# Requests the provider refuses back to the portal (client and redirect URI verified), each
# one valid request broken one way; None drops a parameter.
AUTHORIZATION_ERRORS: list[tuple[str, dict[str, str | None], set[str]]] = [
    ("no response_type", {"response_type": None}, {"invalid_request", "unsupported_response_type"}),
    ("implicit", {"response_type": "token"}, {"unsupported_response_type"}),
    ("hybrid", {"response_type": "code id_token"}, {"unsupported_response_type"}),
    ("quote in response_type", {"response_type": 'co"de'}, {"unsupported_response_type"}),
    ("non-ASCII response_type", {"response_type": "cödé"}, {"unsupported_response_type"}),
    ("no scope", {"scope": None}, {"invalid_scope"}),
    ("no openid", {"scope": "profile"}, {"invalid_scope"}),
    ("unregistered scope", {"scope": "openid vaccination"}, {"invalid_scope"}),
    ("no PKCE", {"code_challenge": None, "code_challenge_method": None}, {"invalid_request"}),
    ("plain PKCE", {"code_challenge_method": "plain"}, {"invalid_request"}),
    ("short challenge", {"code_challenge": "short"}, {"invalid_request"}),
    ("prompt=none signed out", {"prompt": "none"}, {"login_required"}),
    ("prompt none+login", {"prompt": "none login"}, {"invalid_request"}),
    ("unknown prompt", {"prompt": "sometimes"}, {"invalid_request"}),
    ("quote in prompt", {"prompt": 'lo"gin'}, {"invalid_request"}),
    ("backslash in prompt", {"prompt": "log\\in"}, {"invalid_request"}),
    ("non-ASCII prompt", {"prompt": "đăng-nhập"}, {"invalid_request"}),
    ("control character in prompt", {"prompt": "login\x07"}, {"invalid_request"}),
    ("max_age not a number", {"max_age": "soon"}, {"invalid_request"}),
    ("negative max_age", {"max_age": "-1"}, {"invalid_request"}),
    ("claims not JSON", {"claims": "{"}, {"invalid_request"}),
    ("claims not an object", {"claims": "[]"}, {"invalid_request"}),
    ("fragment response_mode", {"response_mode": "fragment"}, {"invalid_request"}),
    ("quote in response_mode", {"response_mode": 'q"uery'}, {"invalid_request"}),
    ("request object", {"request": "eyJhbGciOiJub25lIn0.e30."}, {"request_not_supported"}),
    ("request_uri", {"request_uri": "https://rp.example/r"}, {"request_uri_not_supported"}),
    ("id_token_hint not ours", {"id_token_hint": "not-a-token"}, {"invalid_request"}),
]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [pytest.param(changes, errors, id=name) for name, changes, errors in AUTHORIZATION_ERRORS],
)
@pytest.mark.spec("RFC6749-4.1.2.1")
def test_every_authorization_error_carries_state_iss_and_a_valid_description(
    flow: Flow, changes: dict[str, str | None], errors: set[str]
) -> None:
    response = flow.authorize(state=LONG_STATE, **changes)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].startswith(flow.portal.redirect_uri)
    _check_error_response(query(response.headers["Location"]), errors, LONG_STATE)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        pytest.param(changes, errors, id=name)
        for name, changes, errors in AUTHORIZATION_ERRORS
        if "response_mode" not in changes  # those are about the response mode itself
    ],
)
@pytest.mark.spec("OAuth2-FormPost-2")
def test_every_authorization_error_is_posted_back_in_form_post_mode(
    flow: Flow, changes: dict[str, str | None], errors: set[str]
) -> None:
    response = flow.authorize(state=LONG_STATE, response_mode="form_post", **changes)
    assert response.status_code == 200, response.get_data(as_text=True)
    posted = form_post_fields(response)
    assert posted is not None
    action, fields = posted
    assert action == flow.portal.redirect_uri
    _check_error_response(fields, errors, LONG_STATE)


@pytest.mark.parametrize("how", ["deny", "cancel"])
@pytest.mark.spec("OIDC-Core-3.1.2.6")
def test_errors_decided_on_the_pages_carry_state_and_iss_too(flow: Flow, how: str) -> None:
    """Errors the resume step sends (the citizen refused or gave up) go the same way."""
    response = flow.authorize(state=LONG_STATE)
    if how == "deny":
        response = flow.consent(
            flow.second_factor_if_asked(flow.sign_in(response)), decision="deny"
        )
    else:
        page = flow.browser.get(response.headers["Location"])
        cancel = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("form.cancel")
        assert cancel is not None
        response = flow.browser.post(str(cancel["action"]), data=form_fields(page))
    _check_error_response(portal_receives(flow, response), {"access_denied"}, LONG_STATE)


def test_an_error_without_state_has_no_state(flow: Flow) -> None:
    response = flow.authorize(state=None, prompt="none")
    callback = query(response.headers["Location"])
    assert callback["error"] == "login_required"
    assert "state" not in callback
    assert callback["iss"] == ISSUER


def _repeated(flow: Flow, name: str) -> TestResponse:
    params = flow.authorization_params(state=LONG_STATE)
    return flow.browser.get("/authorize?" + urlencode([*params.items(), (name, "1"), (name, "2")]))


@pytest.mark.parametrize("name", ["nonce", "prompt", 'we"ird', "naïve", "back\\slash"])
@pytest.mark.spec("RFC6749-3.1")
def test_repeated_parameters_are_refused_with_a_valid_description(flow: Flow, name: str) -> None:
    response = _repeated(flow, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    _check_error_response(query(response.headers["Location"]), {"invalid_request"}, LONG_STATE)


@pytest.mark.parametrize("name", ["state", "redirect_uri", "client_id", "response_type"])
@pytest.mark.spec("RFC6749-3.1")
def test_a_repeated_response_parameter_gets_a_page(flow: Flow, name: str) -> None:
    """Which redirect URI or state would be the right one? Neither: a page (RFC 6749 §3.1,
    §4.1.2.1)."""
    assert shows_a_page(_repeated(flow, name))


# Requests that cannot be answered to the portal: a page, never a redirect.
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"client_id": None}, id="no client_id"),
        pytest.param({"client_id": "nobody"}, id="unknown client"),
        pytest.param({"client_id": 'no"body'}, id="quote in client_id"),
        pytest.param({"redirect_uri": None}, id="no redirect_uri"),
        pytest.param({"redirect_uri": "https://evil.example/cb"}, id="foreign redirect_uri"),
        pytest.param({"redirect_uri": "http://127.0.0.1:5001/cällback"}, id="non-ASCII redirect"),
        pytest.param(
            {"redirect_uri": "https://evil.example/cb", "response_type": "token"},
            id="bad response_type and foreign redirect",
        ),
    ],
)
@pytest.mark.spec("RFC6749-4.1.2.1")
def test_unverified_client_or_redirect_uri_gets_a_page(
    flow: Flow, changes: dict[str, str | None]
) -> None:
    response = flow.authorize(**changes)
    assert shows_a_page(response), response.get_data(as_text=True)


def _token_error(response: TestResponse, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    # RFC 6749 §5.1/§5.2: no caching of token responses, error responses included.
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers.get("Pragma", "no-cache") == "no-cache"
    body: dict[str, Any] = response.get_json()
    assert body["error"] == error, body
    if "error_description" in body:
        assert ERROR_DESCRIPTION.fullmatch(body["error_description"]), body
    return body


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        pytest.param({"grant_type": None}, "unsupported_grant_type", id="no grant_type"),
        pytest.param({"grant_type": "password"}, "unsupported_grant_type", id="password grant"),
        pytest.param({"grant_type": 'pass"word'}, "unsupported_grant_type", id="quote in grant"),
        pytest.param({"grant_type": "mật-khẩu"}, "unsupported_grant_type", id="non-ASCII grant"),
        pytest.param({"code": None}, "invalid_request", id="no code"),
        pytest.param({"code": "not-a-code"}, "invalid_grant", id="unknown code"),
        pytest.param({"code": 'quo"te\\d'}, "invalid_grant", id="quote in code"),
        pytest.param({"redirect_uri": None}, "invalid_grant", id="no redirect_uri"),
        pytest.param(
            {"redirect_uri": "http://127.0.0.1:5001/other"}, "invalid_grant", id="other redirect"
        ),
        pytest.param({"code_verifier": None}, "invalid_request", id="no verifier"),
        pytest.param({"code_verifier": "x" * 50}, "invalid_grant", id="wrong verifier"),
        pytest.param({"code_verifier": "é" * 50}, "invalid_request", id="non-ASCII verifier"),
    ],
)
@pytest.mark.spec("RFC6749-5.2")
def test_token_errors_are_json_uncached_and_describe_within_the_charset(
    flow: Flow, changes: dict[str, str | None], error: str
) -> None:
    data: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": flow.code()["code"],
        "redirect_uri": flow.portal.redirect_uri,
        "code_verifier": flow.verifier,
    }
    data.update(changes)
    _token_error(flow.post_as_portal("/token", **data), 400, error)


@pytest.mark.spec("RFC6749-5.2")
def test_client_authentication_errors_are_json_uncached_and_describe_within_the_charset(
    flow: Flow,
) -> None:
    form = {"grant_type": "authorization_code", "code": "c", "redirect_uri": "r"}
    assert flow.portal.client_secret
    wrong = flow.browser.post("/token", data=form, auth=(flow.portal.client_id, "wrong"))
    _token_error(wrong, 401, "invalid_client")
    unknown = flow.browser.post("/token", data=form, auth=('no"body', "secret"))
    _token_error(unknown, 401, "invalid_client")
    both = flow.browser.post(
        "/token",
        data={**form, "client_secret": flow.portal.client_secret},
        auth=(flow.portal.client_id, flow.portal.client_secret),
    )
    _token_error(both, 400, "invalid_request")
    anonymous = flow.browser.post("/token", data=form)
    _token_error(anonymous, 401, "invalid_client")


@pytest.mark.spec("RFC6749-5.1")
def test_token_introspection_and_userinfo_answers_are_not_cached(flow: Flow) -> None:
    response = flow.redeem(flow.code()["code"])
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    access_token = response.get_json()["access_token"]
    introspected = flow.post_as_portal("/introspect", token=access_token)
    assert introspected.headers["Cache-Control"] == "no-store"
    assert introspected.headers.get("Pragma", "no-cache") == "no-cache"
    revoked = flow.post_as_portal("/revoke", token="not-a-token")
    assert revoked.headers["Cache-Control"] == "no-store"
    info = userinfo(flow, access_token)
    assert info.status_code == 200
    assert info.headers["Cache-Control"] == "no-store"
    assert info.headers.get("Pragma", "no-cache") == "no-cache"
    refused = userinfo(flow, "not-a-token")
    assert refused.status_code == 401
    assert refused.headers["Cache-Control"] == "no-store"


@pytest.mark.spec("RFC6750-3")
def test_userinfo_errors_challenge_with_a_valid_description(flow: Flow) -> None:
    for token in ("not-a-token", 'quo"te'):
        response = userinfo(flow, token)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        body = response.get_json()
        assert body["error"] == "invalid_token"
        if "error_description" in body:
            assert ERROR_DESCRIPTION.fullmatch(body["error_description"])


# Tokens in URLs


def _walk(flow: Flow, response: TestResponse) -> list[str]:
    """Every Location the provider sends while a sign-in runs to the portal."""
    locations = []
    while response.status_code in (302, 303):
        locations.append(response.headers["Location"])
        if response.headers["Location"].startswith(flow.portal.redirect_uri):
            break
        response = flow.browser.get(response.headers["Location"])
    return locations


@pytest.mark.spec("RFC9700-4.3")
def test_no_token_travels_in_a_url_and_the_code_only_to_the_portal(flow: Flow) -> None:
    response = flow.second_factor_if_asked(flow.sign_in(flow.authorize()))
    locations = _walk(flow, flow.consent(response))
    callback = query(locations[-1])
    tokens = redeem(flow, callback)
    # A second sign-in in the same browser: straight through.
    again = _walk(flow, flow.authorize(nonce="second-nonce-123456"))
    second = redeem(flow, query(again[-1]))
    for location in locations + again:
        for value in (*tokens.values(), *second.values()):
            if isinstance(value, str) and len(value) > 20:
                assert value not in location
    for location in locations[:-1] + again[:-1]:
        assert "code=" not in urlsplit(location).query
        assert not location.startswith(flow.portal.redirect_uri)
    # The portal's redirect carries the code, state and iss, nothing more.
    assert set(query(locations[-1])) == {"code", "state", "iss"}
    assert urlsplit(locations[-1]).fragment == ""


@pytest.mark.spec("RFC6749-3.1")
def test_unknown_authorization_parameters_are_ignored(flow: Flow) -> None:
    weird = {"extra": "foobar", "x-custom": '"quoted"', "naïve": "ý", "request_object": "no"}
    callback = flow.code(**weird)
    tokens = redeem(flow, callback)
    assert userinfo(flow, tokens["access_token"]).status_code == 200


@pytest.mark.spec("OIDC-Core-3.1.2.1")
def test_post_to_authorize_is_equivalent_to_get(flow: Flow) -> None:
    response = flow.browser.post("/authorize", data=flow.authorization_params())
    assert response.status_code == 302
    response = flow.second_factor_if_asked(flow.sign_in(response))
    callback = portal_receives(flow, flow.consent(response))
    assert callback["state"] == "state-1234567890"
    claims = redeem(flow, callback)
    assert claims["token_type"] == "Bearer"
    # Errors too: a POST is answered with 303 so the browser follows with GET.
    refused = flow.browser.post(
        "/authorize",
        data=flow.authorization_params(scope="openid vaccination", nonce="a-fresh-nonce-0987"),
    )
    assert refused.status_code == 303
    assert query(refused.headers["Location"])["error"] == "invalid_scope"


@pytest.mark.spec("OIDC-Core-3.1.2.1")
def test_post_to_authorize_with_a_claims_parameter(flow: Flow) -> None:
    claims = json.dumps({"userinfo": {"name": {"essential": True}}})
    response = flow.browser.post("/authorize", data=flow.authorization_params(claims=claims))
    assert response.status_code == 302
    assert "/signin/" in response.headers["Location"]


@pytest.mark.parametrize("attempt", range(3))
def test_a_request_with_several_faults_always_gets_the_same_error(flow: Flow, attempt: int) -> None:
    """Checks run in one fixed order (PKCE before scope), whatever the process."""
    response = flow.authorize(code_challenge_method="plain", scope="openid vaccination")
    assert query(response.headers["Location"])["error"] == "invalid_request"
