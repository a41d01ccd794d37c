"""The Form Post Basic plan (``oidcc-formpost-basic-certification-test-plan``): the Basic modules
with ``response_mode=form_post`` (OAuth 2.0 Form Post Response Mode §2). Each answer, success or
error, reaches the portal as a form POSTed by the browser: nothing in the URL (RejectAuthCode-
InUrlQuery, RejectErrorInUrlQuery), ``application/x-www-form-urlencoded``
(CheckCallbackContentTypeIsFormUrlEncoded), method POST (CheckCallbackHttpMethodIsPost)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from werkzeug.test import TestResponse

from tests.security.conftest import (
    ERROR_RESPONSE_PARAMETERS,
    ISSUER,
    Suite,
    id_token,
    redeem,
)

#: A state that HTML would misread if the page did not escape it.
HOSTILE_STATE = "\"><script>alert('x')</script>&amp;<!--" + "s" * 90


def _follow(flow: Suite, response: TestResponse) -> TestResponse:
    """Follow the provider's own redirects to the page it finally shows."""
    while response.status_code in (302, 303):
        location = response.headers["Location"]
        assert not location.startswith(flow.portal.redirect_uri), "answered in the URL"
        response = flow.browser.get(location)
    return response


def _posted(flow: Suite, page: TestResponse) -> dict[str, str]:
    """The fields the auto-submitting form POSTs to the portal, checked as the suite does."""
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    form = soup.select_one("form[data-auto-submit]")
    assert form is not None
    assert form["action"] == flow.portal.redirect_uri
    assert str(form.get("method", "")).lower() == "post"
    assert form.get("enctype") in (None, "application/x-www-form-urlencoded")
    assert urlsplit(str(form["action"])).query == ""
    assert soup.select_one("script[src$='form_post.js']") is not None
    fields = {str(i["name"]): str(i.get("value", "")) for i in form.select("input")}
    assert all(i.get("type") == "hidden" for i in form.select("input"))
    return fields


@pytest.mark.spec("OIDCC-FormPost-OIDCCServerTest")
def test_server_test(conformance: Suite) -> None:
    response = conformance.second_factor_if_asked(
        conformance.sign_in(conformance.authorize(response_mode="form_post", state=HOSTILE_STATE))
    )
    fields = _posted(conformance, _follow(conformance, conformance.consent(response)))
    assert set(fields) == {"code", "state", "iss"}
    assert fields["state"] == HOSTILE_STATE  # exactly, however it looks
    assert fields["iss"] == ISSUER
    tokens = redeem(conformance, fields)
    assert id_token(conformance, tokens["id_token"])["nonce"] == "nonce-1234567890"


@pytest.mark.spec("OIDCC-FormPost-OIDCCPromptNoneNotLoggedIn")
def test_prompt_none_not_logged_in(conformance: Suite) -> None:
    fields = _posted(
        conformance,
        conformance.authorize(response_mode="form_post", prompt="none", state="s" * 128),
    )
    assert fields["error"] == "login_required"
    assert fields["state"] == "s" * 128
    assert fields["iss"] == ISSUER
    assert set(fields) <= ERROR_RESPONSE_PARAMETERS


@pytest.mark.spec("OIDCC-FormPost-OIDCCPromptNoneLoggedIn")
def test_prompt_none_logged_in(conformance: Suite) -> None:
    first = redeem(conformance, conformance.code())
    page = _follow(
        conformance, conformance.authorize(response_mode="form_post", prompt="none", nonce="n-2")
    )
    second = redeem(conformance, _posted(conformance, page))
    one, two = id_token(conformance, first["id_token"]), id_token(conformance, second["id_token"])
    assert (two["sub"], two["auth_time"]) == (one["sub"], one["auth_time"])


@pytest.mark.spec("OIDCC-FormPost-OIDCCResponseTypeMissing")
def test_response_type_missing(conformance: Suite) -> None:
    fields = _posted(
        conformance, conformance.authorize(response_mode="form_post", response_type=None)
    )
    assert fields["error"] in ("invalid_request", "unsupported_response_type")
    assert fields["state"] == "state-1234567890"
    assert fields["iss"] == ISSUER


@pytest.mark.spec("OIDCC-FormPost-OIDCCEnsurePostRequestSucceeds")
def test_post_request_succeeds(conformance: Suite) -> None:
    params = conformance.authorization_params(response_mode="form_post")
    response = conformance.browser.post("/authorize", data=params)
    response = conformance.second_factor_if_asked(conformance.sign_in(response))
    fields = _posted(conformance, _follow(conformance, conformance.consent(response)))
    assert redeem(conformance, fields)["token_type"] == "Bearer"


@pytest.mark.spec("OIDCC-FormPost-OIDCCClaimsEssential")
def test_claims_essential(conformance: Suite) -> None:
    claims = json.dumps({"userinfo": {"name": {"essential": True}}})
    response = conformance.second_factor_if_asked(
        conformance.sign_in(conformance.authorize(response_mode="form_post", claims=claims))
    )
    fields = _posted(conformance, _follow(conformance, conformance.consent(response)))
    tokens = redeem(conformance, fields)
    info = conformance.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).get_json()
    assert info["name"] == "Nguyễn Văn An"


@pytest.mark.spec("OIDC-Core-3.1.2.6")
def test_a_denial_is_posted_too(conformance: Suite) -> None:
    response = conformance.second_factor_if_asked(
        conformance.sign_in(conformance.authorize(response_mode="form_post"))
    )
    fields = _posted(conformance, _follow(conformance, conformance.consent(response, "deny")))
    assert fields == {"error": "access_denied", "state": "state-1234567890", "iss": ISSUER}


@pytest.mark.spec("OAuth2-FormPost-2")
def test_the_code_never_appears_in_a_url(conformance: Suite) -> None:
    response = conformance.second_factor_if_asked(
        conformance.sign_in(conformance.authorize(response_mode="form_post"))
    )
    response = conformance.consent(response)
    locations = []
    while response.status_code in (302, 303):
        locations.append(response.headers["Location"])
        response = conformance.browser.get(response.headers["Location"])
    fields = _posted(conformance, response)
    for location in locations:
        assert fields["code"] not in location
        assert "code=" not in urlsplit(location).query
