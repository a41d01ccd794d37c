"""The RP-Initiated Logout OP plan (``oidcc-rp-initiated-logout-certification-test-plan``) and the
Back-Channel Logout OP plan (``oidcc-backchannel-rp-initiated-logout-certification-test-plan``).

Every module signs in first, then sends the browser to the end-session endpoint with
``id_token_hint``, ``post_logout_redirect_uri`` and a 128-character ``state`` (no
``client_id``), each module removing or breaking one of them. Where the module expects a
redirect it then asks ``prompt=none``, which must fail: the session is over.
"""

from __future__ import annotations

import base64
import json
import queue
from typing import Any
from urllib.parse import urlencode

import pytest
from joserfc import jwt
from werkzeug.test import TestResponse

from tests.integration.conftest import form_fields, query
from tests.security.conftest import (
    ERROR_RESPONSE_PARAMETERS,
    ISSUER,
    POST_LOGOUT_REDIRECT,
    Received,
    Suite,
    id_token,
    keys,
    portal_receives,
    redeem,
    userinfo,
)

END_SESSION_STATE = "e" * 100 + "-._~0123456789abcdefghijklmnop"[:28]
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def _signed_in(flow: Suite) -> dict[str, Any]:
    return redeem(flow, flow.code())


def _end_session(flow: Suite, tokens: dict[str, Any], **changes: str | None) -> TestResponse:
    """CreateEndSessionEndpointRequest: id_token_hint, post_logout_redirect_uri, state; each
    module breaks it one way."""
    params: dict[str, str | None] = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": POST_LOGOUT_REDIRECT,
        "state": END_SESSION_STATE,
    }
    params.update(changes)
    return flow.browser.get(
        "/logout?" + urlencode({k: v for k, v in params.items() if v is not None})
    )


def _signed_out(flow: Suite) -> None:
    """The second authorization of the logout modules: prompt=none must be refused with an
    error that asks for a user interface, and the usual error checks."""
    response = flow.authorize(prompt="none", nonce="after-logout-123456", state="after-logout")
    callback = query(response.headers["Location"])
    assert callback["error"] == "login_required"
    assert callback["state"] == "after-logout"
    assert callback["iss"] == ISSUER
    assert set(callback) <= ERROR_RESPONSE_PARAMETERS


def _still_signed_in(flow: Suite) -> None:
    response = flow.authorize(prompt="none", nonce="still-signed-in-123")
    assert "code" in portal_receives(flow, response)


def _no_redirect(response: TestResponse) -> None:
    """The module fails if the post_logout_redirect_uri is called."""
    assert "Location" not in response.headers
    assert POST_LOGOUT_REDIRECT not in response.get_data(as_text=True)


def _confirm(flow: Suite, page: TestResponse) -> TestResponse:
    return flow.browser.post("/logout/confirm", data={**form_fields(page), "decision": "logout"})


@pytest.mark.spec("OIDCC-OIDCCRpInitiatedLogout")
def test_rp_initiated_logout(logout_client: Suite) -> None:
    tokens = _signed_in(logout_client)
    response = _end_session(logout_client, tokens)
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    assert location.startswith(POST_LOGOUT_REDIRECT + "?")
    # CheckPostLogoutState (FAILURE), CheckForUnexpectedParametersInPostLogoutRedirect (WARNING)
    assert query(location) == {"state": END_SESSION_STATE}
    _signed_out(logout_client)
    assert userinfo(logout_client, tokens["access_token"]).status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("https://conformance.example.org/not-registered", id="unregistered"),
        pytest.param(POST_LOGOUT_REDIRECT + "?foo=bar", id="query added"),
        pytest.param(POST_LOGOUT_REDIRECT + "/", id="trailing slash"),
        pytest.param(POST_LOGOUT_REDIRECT.upper(), id="case"),
    ],
)
@pytest.mark.spec("OIDCC-OIDCCRpInitiatedLogoutBadLogoutRedirectUri")
def test_bad_post_logout_redirect_uri(logout_client: Suite, target: str) -> None:
    """Also OIDCCRpInitiatedLogoutQueryAddedToLogoutRedirectUri."""
    tokens = _signed_in(logout_client)
    response = _end_session(logout_client, tokens, post_logout_redirect_uri=target)
    assert response.status_code == 400
    _no_redirect(response)
    _still_signed_in(logout_client)


def _alg_none(token: str) -> str:
    """ChangeIdTokenToAlgNone: the same claims, header alg none, no signature."""
    _, payload, _ = token.split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return f"{header}.{payload}."


@pytest.mark.spec("OIDCC-OIDCCRpInitiatedLogoutModifiedIdTokenHint")
def test_modified_id_token_hint(logout_client: Suite) -> None:
    tokens = _signed_in(logout_client)
    forged = {**tokens, "id_token": _alg_none(tokens["id_token"])}
    response = _end_session(logout_client, forged)
    assert response.status_code == 400
    _no_redirect(response)
    _still_signed_in(logout_client)


@pytest.mark.spec("OIDCC-OIDCCRpInitiatedLogoutNoIdTokenHint")
def test_no_id_token_hint(logout_client: Suite) -> None:
    """Without a hint (and, as the suite sends it, without client_id) the target cannot be
    verified: an error page, never the redirect (RP-Initiated Logout §3)."""
    tokens = _signed_in(logout_client)
    response = _end_session(logout_client, tokens, id_token_hint=None)
    assert response.status_code in (200, 400)
    _no_redirect(response)


@pytest.mark.spec("OIDC-RPInitiated-3")
def test_no_id_token_hint_but_client_id_asks_the_citizen(logout_client: Suite) -> None:
    """``client_id`` with a registered target is the "other means of confirming the legitimacy
    of the post-logout redirection target" (§3): the citizen confirms first; no redirect
    before that."""
    tokens = _signed_in(logout_client)
    page = _end_session(
        logout_client, tokens, id_token_hint=None, client_id=logout_client.portal.client_id
    )
    assert page.status_code == 200
    _no_redirect(page)
    answer = _confirm(logout_client, page)
    assert query(answer.headers["Location"]) == {"state": END_SESSION_STATE}
    _signed_out(logout_client)


@pytest.mark.spec("OIDCC-OIDCCRpInitiatedLogoutNoParams")
def test_no_params(logout_client: Suite) -> None:
    _signed_in(logout_client)
    page = logout_client.browser.get("/logout")
    assert page.status_code == 200  # the citizen confirms: a forged link signs nobody out
    _no_redirect(page)
    done = _confirm(logout_client, page)
    assert done.status_code == 200  # ExpectSuccessfulLogoutPage
    _no_redirect(done)
    _signed_out(logout_client)


@pytest.mark.spec("OIDCC-OIDCCRpInitiatedLogoutNoPostLogoutRedirectUri")
def test_no_post_logout_redirect_uri(logout_client: Suite) -> None:
    tokens = _signed_in(logout_client)
    done = _end_session(logout_client, tokens, post_logout_redirect_uri=None)
    assert done.status_code == 200
    _no_redirect(done)
    _signed_out(logout_client)


@pytest.mark.spec("OIDCC-OIDCCRpInitiatedLogoutNoState")
def test_no_state(logout_client: Suite) -> None:
    tokens = _signed_in(logout_client)
    response = _end_session(logout_client, tokens, state=None)
    assert response.headers["Location"] == POST_LOGOUT_REDIRECT  # CheckNoPostLogoutState
    _signed_out(logout_client)


@pytest.mark.spec("OIDCC-OIDCCRpInitiatedLogoutOnlyState")
def test_only_state(logout_client: Suite) -> None:
    tokens = _signed_in(logout_client)
    page = _end_session(logout_client, tokens, id_token_hint=None, post_logout_redirect_uri=None)
    assert page.status_code == 200
    _no_redirect(page)
    done = _confirm(logout_client, page)
    assert done.status_code == 200
    _no_redirect(done)
    _signed_out(logout_client)


@pytest.mark.spec("OIDC-RPInitiated-2")
def test_a_hint_for_another_session_asks_the_citizen(logout_client: Suite) -> None:
    """An ID token of an earlier, ended session names no current session: confirm first."""
    old = _signed_in(logout_client)
    _end_session(logout_client, old)
    fresh = redeem(logout_client, logout_client.sign_in_again(nonce="second-session-123"))
    page = _end_session(logout_client, old)
    assert page.status_code == 200
    _no_redirect(page)
    assert userinfo(logout_client, fresh["access_token"]).status_code == 200


@pytest.mark.spec("RFC8725-3.11")
def test_only_an_id_token_serves_as_id_token_hint(
    logout_client: Suite, backchannel: tuple[str, queue.Queue[Received]]
) -> None:
    """Our access tokens (typ at+jwt) and logout tokens (typ logout+jwt) are signed with the
    same keys and carry iss and sub; neither is an ID token (RFC 8725 §2.8, §3.11)."""
    tokens = _signed_in(logout_client)
    for hint in (tokens["access_token"],):
        refused = logout_client.authorize(prompt="none", id_token_hint=hint, nonce="hint-nonce-1")
        assert query(refused.headers["Location"])["error"] == "invalid_request"
        assert _end_session(logout_client, tokens, id_token_hint=hint).status_code == 400
    _end_session(logout_client, tokens)
    logout_token = backchannel[1].get(timeout=10).form["logout_token"][0]
    redeem(logout_client, logout_client.sign_in_again(nonce="second-session-456"))
    refused = _end_session(logout_client, tokens, id_token_hint=logout_token)
    assert refused.status_code == 400
    _still_signed_in(logout_client)


# Back-Channel Logout


@pytest.mark.spec("OIDCC-OIDCCBackChannelRpInitiatedLogout")
def test_backchannel_rp_initiated_logout(
    logout_client: Suite, backchannel: tuple[str, queue.Queue[Received]]
) -> None:
    tokens = _signed_in(logout_client)
    response = _end_session(logout_client, tokens)
    assert query(response.headers["Location"]) == {"state": END_SESSION_STATE}

    request = backchannel[1].get(timeout=10)
    # OIDC Back-Channel Logout §2.5: a form POST with the logout token alone.
    assert request.content_type == "application/x-www-form-urlencoded"
    assert set(request.form) == {"logout_token"}  # CheckForUnexpectedParameters...
    assert len(request.form["logout_token"]) == 1
    decoded = jwt.decode(request.form["logout_token"][0], keys(logout_client))  # signature
    assert decoded.header["typ"] == "logout+jwt"
    claims = dict(decoded.claims)
    # ValidateLogoutTokenClaims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == logout_client.portal.client_id
    assert isinstance(claims["iat"], int)
    assert claims["exp"] > claims["iat"]
    assert claims["jti"]
    assert claims["events"] == {EVENT: {}}
    # CheckIdTokenSubMatchesLogoutToken, ...SidMatches..., CheckLogoutTokenNoNonce
    first = id_token(logout_client, tokens["id_token"])
    assert claims["sub"] == first["sub"]
    assert claims["sid"] == first["sid"]
    assert "nonce" not in claims

    _signed_out(logout_client)
    assert backchannel[1].empty()  # one notice, one portal


@pytest.mark.spec("OIDC-BackChannel-2.4")
def test_each_logout_token_is_unique(
    logout_client: Suite, backchannel: tuple[str, queue.Queue[Received]]
) -> None:
    jtis = []
    for nonce, sign_in in enumerate((logout_client.code, logout_client.sign_in_again)):
        _end_session(logout_client, redeem(logout_client, sign_in(nonce=f"session-nonce-{nonce}")))
        token = backchannel[1].get(timeout=10).form["logout_token"][0]
        jtis.append(json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["jti"])
    assert jtis[0] != jtis[1]
