"""Refresh tokens, JWT access tokens, introspection and revocation, through the real endpoints."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp.extensions import db
from idp.models import Token
from idp.oidc.tokens import revoke_session_tokens
from tests.factories import make_portal
from tests.integration.conftest import Flow, flow_with

ISSUER = "http://localhost:5000"
OFFLINE_SCOPE = "openid profile citizen_id offline_access"
DAY = 86400


@pytest.fixture
def offline(app: Flask) -> Iterator[Flow]:
    """A portal registered for offline_access."""
    yield from flow_with(app, scope=OFFLINE_SCOPE)


@pytest.fixture
def public_offline(app: Flask) -> Iterator[Flow]:
    """A public portal (no secret) registered for offline_access."""
    yield from flow_with(app, scope=OFFLINE_SCOPE, auth_method="none")


def _tokens(flow: Flow, scope: str = OFFLINE_SCOPE) -> dict[str, Any]:
    response = flow.redeem(flow.code(scope=scope)["code"])
    assert response.status_code == 200, response.get_data(as_text=True)
    tokens: dict[str, Any] = response.get_json()
    return tokens


def _tokens_again(flow: Flow, scope: str) -> dict[str, Any]:
    """Tokens from a second sign-in in the same browser: signed in and consented already."""
    callback = flow.follow_to_portal(flow.authorize(scope=scope, nonce="a-second-nonce-123456"))
    tokens: dict[str, Any] = flow.redeem(callback["code"]).get_json()
    return tokens


def _keys(flow: Flow) -> KeySet:
    return KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())


def _userinfo_status(flow: Flow, access_token: str) -> int:
    response = flow.browser.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code


def _introspect(flow: Flow, token: str, **data: str | None) -> dict[str, Any]:
    response = flow.post_as_portal("/introspect", token=token, **data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = response.get_json()
    return body


def _other_portal(app: Flask, flow: Flow, scope: str = OFFLINE_SCOPE) -> Flow:
    with app.app_context():
        other = make_portal(scope=scope, redirect_uri="https://thue.example.vn/cb")
    return Flow(flow.browser, other, flow.totp_secret, flow.advance)


# Refresh tokens


@pytest.mark.spec("OIDC-Core-11")
def test_no_refresh_token_for_a_portal_not_registered_for_offline_access(flow: Flow) -> None:
    assert "refresh_token" not in _tokens(flow, scope="openid profile citizen_id")


@pytest.mark.spec("OIDC-Core-11")
def test_no_refresh_token_when_offline_access_is_not_asked_for(offline: Flow) -> None:
    assert "refresh_token" in _tokens(offline, scope=OFFLINE_SCOPE)
    assert "refresh_token" not in _tokens_again(offline, scope="openid profile citizen_id")


@pytest.mark.spec("RFC6749-6")
def test_refresh_rotates_the_refresh_token(offline: Flow) -> None:
    first = _tokens(offline)
    offline.advance(60)
    response = offline.refresh(first["refresh_token"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    second = response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == OFFLINE_SCOPE
    assert second["token_type"] == "Bearer"
    assert _userinfo_status(offline, second["access_token"]) == 200
    third = offline.refresh(second["refresh_token"])
    assert third.status_code == 200, third.get_data(as_text=True)


@pytest.mark.spec("OIDC-Core-12.2")
def test_the_id_token_of_a_refresh_describes_the_original_sign_in(offline: Flow) -> None:
    first = _tokens(offline)
    offline.advance(300)
    second = offline.refresh(first["refresh_token"]).get_json()
    keys = _keys(offline)
    original = jwt.decode(first["id_token"], keys).claims
    refreshed = jwt.decode(second["id_token"], keys).claims
    for claim in ("iss", "sub", "aud", "azp", "auth_time", "acr", "amr", "sid"):
        assert refreshed[claim] == original[claim], claim
    assert refreshed["iat"] == original["iat"] + 300
    assert "nonce" not in refreshed


@pytest.mark.spec("RFC9700-4.14.2")
def test_reusing_a_rotated_refresh_token_revokes_the_family(offline: Flow) -> None:
    first = _tokens(offline)
    second = offline.refresh(first["refresh_token"]).get_json()
    replay = offline.refresh(first["refresh_token"])
    assert replay.status_code == 400
    assert replay.get_json()["error"] == "invalid_grant"
    assert _userinfo_status(offline, second["access_token"]) == 401
    assert _userinfo_status(offline, first["access_token"]) == 401
    assert _introspect(offline, second["access_token"]) == {"active": False}
    assert _introspect(offline, second["refresh_token"]) == {"active": False}
    assert offline.refresh(second["refresh_token"]).get_json()["error"] == "invalid_grant"


@pytest.mark.spec("RFC6749-10.4")
def test_a_refresh_token_is_bound_to_its_portal(app: Flask, offline: Flow) -> None:
    tokens = _tokens(offline)
    stranger = _other_portal(app, offline)
    refused = stranger.refresh(tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_grant"
    # Neither consumed nor revoked by the stranger's attempt.
    rotated = offline.refresh(tokens["refresh_token"]).get_json()
    # A stranger presenting a rotated token is no reuse by the portal: the family lives on.
    assert stranger.refresh(tokens["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert offline.refresh(rotated["refresh_token"]).status_code == 200


@pytest.mark.spec("RFC9700-4.14.2")
def test_of_concurrent_uses_of_one_refresh_token_exactly_one_wins(
    app: Flask, offline: Flow
) -> None:
    tokens = _tokens(offline)
    secret = offline.portal.client_secret
    assert secret
    ready = threading.Barrier(4)
    answers: list[dict[str, Any]] = []

    def use() -> None:
        browser = app.test_client()
        ready.wait()
        response = browser.post(
            "/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(offline.portal.client_id, secret),
        )
        answers.append(response.get_json())

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [a for a in answers if "refresh_token" in a]
    assert len(winners) == 1, answers
    assert sorted(a.get("error", "") for a in answers) == ["", *["invalid_grant"] * 3]
    # The others presented a consumed token: reuse, so the winner's family is revoked too.
    assert offline.refresh(winners[0]["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_a_portal_not_registered_for_offline_access_cannot_refresh(flow: Flow) -> None:
    response = flow.refresh("any-refresh-token")
    assert response.status_code == 400
    assert response.get_json()["error"] == "unauthorized_client"


@pytest.mark.spec("RFC6749-6")
def test_a_refresh_may_narrow_the_scope_but_never_widen_it(offline: Flow) -> None:
    tokens = _tokens(offline)
    widened = offline.refresh(tokens["refresh_token"], scope=f"{OFFLINE_SCOPE} health_insurance")
    assert widened.get_json()["error"] == "invalid_scope"
    # A refused request leaves the token usable.
    narrowed = offline.refresh(tokens["refresh_token"], scope="openid").get_json()
    assert narrowed["scope"] == "openid"
    info = offline.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {narrowed['access_token']}"}
    ).get_json()
    assert "citizen_id" not in info
    # The family keeps its scope: the next refresh without a scope gets all of it.
    assert offline.refresh(narrowed["refresh_token"]).get_json()["scope"] == OFFLINE_SCOPE


def test_rotation_does_not_extend_the_family(offline: Flow) -> None:
    tokens = _tokens(offline)
    offline.advance(20 * DAY)
    rotated = offline.refresh(tokens["refresh_token"]).get_json()
    offline.advance(10 * DAY)  # 30 days after the code exchange
    expired = offline.refresh(rotated["refresh_token"])
    assert expired.get_json()["error"] == "invalid_grant"


@pytest.mark.spec("RFC6749-4.1.2")
def test_a_replayed_code_revokes_the_refresh_tokens_it_produced(offline: Flow) -> None:
    callback = offline.code(scope=OFFLINE_SCOPE)
    tokens = offline.redeem(callback["code"]).get_json()
    assert offline.redeem(callback["code"]).get_json()["error"] == "invalid_grant"
    assert offline.refresh(tokens["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_ending_the_session_revokes_its_access_tokens_but_not_offline_access(
    app: Flask, offline: Flow
) -> None:
    tokens = _tokens(offline)
    refreshed = offline.refresh(tokens["refresh_token"]).get_json()
    with app.app_context():
        sid = db.session.scalar(select(Token.sid).where(Token.sid.is_not(None)))
        assert sid
        assert revoke_session_tokens(sid) == 1
    assert _userinfo_status(offline, tokens["access_token"]) == 401
    # Issued on refresh, under offline access: not the session's.
    assert _userinfo_status(offline, refreshed["access_token"]) == 200
    again = offline.refresh(refreshed["refresh_token"])
    assert again.status_code == 200
    assert _userinfo_status(offline, again.get_json()["access_token"]) == 200


# Access tokens


@pytest.mark.spec("RFC9068-2")
def test_the_access_token_is_an_rfc9068_jwt(flow: Flow) -> None:
    tokens = _tokens(flow, scope="openid profile citizen_id")
    token = jwt.decode(tokens["access_token"], _keys(flow), algorithms=["ES256"])
    assert token.header["typ"] == "at+jwt"
    assert token.header["alg"] == "ES256"
    claims = token.claims
    id_token = jwt.decode(tokens["id_token"], _keys(flow)).claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == f"{ISSUER}/userinfo"
    assert claims["sub"] == id_token["sub"]
    assert claims["client_id"] == flow.portal.client_id
    assert claims["scope"] == "openid profile citizen_id"
    assert claims["exp"] == claims["iat"] + 600
    assert claims["auth_time"] == id_token["auth_time"]
    assert claims["acr"] == "loa2"
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert len(claims["jti"]) >= 22
    other = _tokens_again(flow, scope="openid profile citizen_id")
    assert jwt.decode(other["access_token"], _keys(flow)).claims["jti"] != claims["jti"]


# Introspection


@pytest.mark.spec("RFC7662-2.2")
def test_introspection_describes_an_active_access_token(flow: Flow) -> None:
    tokens = _tokens(flow, scope="openid profile citizen_id")
    body = _introspect(flow, tokens["access_token"])
    claims = jwt.decode(tokens["access_token"], _keys(flow)).claims
    assert body == {
        "active": True,
        "scope": "openid profile citizen_id",
        "client_id": flow.portal.client_id,
        "sub": claims["sub"],
        "iss": ISSUER,
        "aud": f"{ISSUER}/userinfo",
        "iat": claims["iat"],
        "exp": claims["exp"],
        "jti": claims["jti"],
        "acr": "loa2",
        "token_type": "Bearer",
    }


def test_introspection_of_a_refresh_token(offline: Flow) -> None:
    tokens = _tokens(offline)
    body = _introspect(offline, tokens["refresh_token"], token_type_hint="access_token")
    assert body["active"] is True
    assert body["scope"] == OFFLINE_SCOPE
    assert body["exp"] == body["iat"] + 30 * DAY
    offline.refresh(tokens["refresh_token"])
    assert _introspect(offline, tokens["refresh_token"]) == {"active": False}


@pytest.mark.spec("RFC7662-2.2")
def test_introspection_answers_inactive_for_expired_unknown_and_others_tokens(
    app: Flask, flow: Flow
) -> None:
    tokens = _tokens(flow, scope="openid profile citizen_id")
    stranger = _other_portal(app, flow, scope="openid")
    assert _introspect(stranger, tokens["access_token"]) == {"active": False}
    assert _introspect(flow, "not-a-token") == {"active": False}
    flow.advance(601)
    assert _introspect(flow, tokens["access_token"]) == {"active": False}


def test_introspection_needs_an_authenticated_portal(app: Flask, flow: Flow) -> None:
    tokens = _tokens(flow, scope="openid profile citizen_id")
    anonymous = flow.browser.post("/introspect", data={"token": tokens["access_token"]})
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"] == "invalid_client"
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic ")
    with app.app_context():
        public = make_portal(auth_method="none", redirect_uri="https://thue.example.vn/cb")
    as_public = flow.browser.post(
        "/introspect", data={"token": tokens["access_token"], "client_id": public.client_id}
    )
    assert as_public.status_code == 401
    assert as_public.get_json()["error"] == "invalid_client"
    missing = flow.post_as_portal("/introspect")
    assert missing.status_code == 400
    assert missing.get_json()["error"] == "invalid_request"


# Revocation


@pytest.mark.spec("RFC7009-2.1")
def test_revoking_an_access_token_revokes_it_alone(offline: Flow) -> None:
    tokens = _tokens(offline)
    response = offline.post_as_portal("/revoke", token=tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert _userinfo_status(offline, tokens["access_token"]) == 401
    assert offline.refresh(tokens["refresh_token"]).status_code == 200


@pytest.mark.spec("RFC7009-2.1")
def test_revoking_a_refresh_token_revokes_its_family(offline: Flow) -> None:
    tokens = _tokens(offline)
    rotated = offline.refresh(tokens["refresh_token"]).get_json()
    response = offline.post_as_portal(
        "/revoke", token=rotated["refresh_token"], token_type_hint="refresh_token"
    )
    assert response.status_code == 200
    assert _userinfo_status(offline, rotated["access_token"]) == 401
    assert offline.refresh(rotated["refresh_token"]).get_json()["error"] == "invalid_grant"


@pytest.mark.spec("RFC7009-2.2")
def test_revoking_an_unknown_token_succeeds(flow: Flow) -> None:
    response = flow.post_as_portal("/revoke", token="not-a-token")
    assert response.status_code == 200


@pytest.mark.spec("RFC7009-2.1")
def test_a_portal_cannot_revoke_another_portals_token(app: Flask, offline: Flow) -> None:
    tokens = _tokens(offline)
    stranger = _other_portal(app, offline)
    response = stranger.post_as_portal("/revoke", token=tokens["refresh_token"])
    assert response.status_code == 400
    assert response.get_json()["error"] == "unauthorized_client"
    assert _introspect(offline, tokens["refresh_token"])["active"] is True


@pytest.mark.spec("RFC9700-4.14.2")
def test_a_public_portal_refreshes_and_revokes_with_its_client_id(public_offline: Flow) -> None:
    browser, client_id = public_offline.browser, public_offline.portal.client_id
    callback = public_offline.code(scope=OFFLINE_SCOPE)
    tokens = browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": public_offline.portal.redirect_uri,
            "code_verifier": public_offline.verifier,
            "client_id": client_id,
        },
    ).get_json()
    refresh = {"grant_type": "refresh_token", "client_id": client_id}
    rotated = browser.post("/token", data={**refresh, "refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200, rotated.get_data(as_text=True)
    token = rotated.get_json()["refresh_token"]
    revoked = browser.post("/revoke", data={"token": token, "client_id": client_id})
    assert revoked.status_code == 200
    again = browser.post("/token", data={**refresh, "refresh_token": token})
    assert again.get_json()["error"] == "invalid_grant"


def test_revocation_needs_the_token_parameter(flow: Flow) -> None:
    response = flow.post_as_portal("/revoke")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
