"""A code, a token or a hint issued to one portal, presented by another.

RFC 6749 §4.1.3: the server "ensure[s] that the authorization code was issued to the
authenticated confidential client" and answers ``invalid_grant`` otherwise. Our codes are bound
to their client in the very UPDATE that consumes them, so another portal's attempt neither
consumes the code nor counts as a replay: it cannot burn the code nor revoke what it produced
(node-oidc-provider answers a client mismatch the same way, before consuming).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from idp.oidc import clients
from idp.oidc.clients import register_client
from tests.integration.conftest import Flow, flow_with, query
from tests.security.conftest import id_token, second_client, userinfo

OTHER_REDIRECT = "https://client2.example.org/callback"


@pytest.fixture
def other(app: Flask, flow: Flow) -> Flow:
    """A second confidential portal (another sector), on the same browser."""
    return second_client(app, flow, scope="openid profile citizen_id health_insurance")


def _redeem_as(portal: Flow, code: str, verifier: str, redirect_uri: str) -> TestResponse:
    return portal.post_as_portal(
        "/token",
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
    )


@pytest.mark.parametrize("redirect_uri", ["own", "victim's"])
@pytest.mark.spec("RFC6749-4.1.3")
def test_another_portals_credentials_cannot_redeem_a_code(
    flow: Flow, other: Flow, redirect_uri: str
) -> None:
    callback = flow.code()
    uri = other.portal.redirect_uri if redirect_uri == "own" else flow.portal.redirect_uri
    stolen = _redeem_as(other, callback["code"], flow.verifier, uri)
    assert stolen.status_code == 400
    assert stolen.get_json()["error"] == "invalid_grant"
    # The code is bound to its portal: the attempt did not consume it.
    assert flow.redeem(callback["code"]).status_code == 200


@pytest.mark.spec("RFC6749-4.1.2")
def test_another_portal_presenting_a_used_code_revokes_nothing(flow: Flow, other: Flow) -> None:
    callback = flow.code()
    tokens: dict[str, Any] = flow.redeem(callback["code"]).get_json()
    replay = _redeem_as(other, callback["code"], flow.verifier, flow.portal.redirect_uri)
    assert replay.get_json()["error"] == "invalid_grant"
    # Only the portal's own replay revokes its tokens (RFC 6749 §4.1.2), not a stranger's.
    assert userinfo(flow, tokens["access_token"]).status_code == 200


@pytest.mark.spec("RFC6749-3.2.1")
def test_a_confidential_portals_code_needs_its_credentials(flow: Flow) -> None:
    callback = flow.code()
    as_public = flow.browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": flow.portal.redirect_uri,
            "code_verifier": flow.verifier,
            "client_id": flow.portal.client_id,
        },
    )
    assert as_public.status_code == 401
    assert as_public.get_json()["error"] == "invalid_client"
    assert flow.redeem(callback["code"]).status_code == 200


@pytest.mark.spec("RFC7521-4.2")
def test_a_client_id_naming_the_victim_beside_anothers_credentials_is_refused(
    flow: Flow, other: Flow
) -> None:
    callback = flow.code()
    mixed = other.post_as_portal(
        "/token",
        grant_type="authorization_code",
        code=callback["code"],
        redirect_uri=flow.portal.redirect_uri,
        code_verifier=flow.verifier,
        client_id=flow.portal.client_id,
    )
    assert mixed.status_code == 401
    assert mixed.get_json()["error"] == "invalid_client"
    assert flow.redeem(callback["code"]).status_code == 200


@pytest.fixture
def public(app: Flask) -> Iterator[Flow]:
    yield from flow_with(app, auth_method="none")


def _redeem_public(flow: Flow, code: str, client_id: str) -> TestResponse:
    return flow.browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.portal.redirect_uri,
            "code_verifier": flow.verifier,
            "client_id": client_id,
        },
    )


@pytest.mark.spec("RFC6749-4.1.3")
def test_a_public_portals_code_cannot_be_redeemed_under_another_client_id(
    app: Flask, public: Flow
) -> None:
    stranger = second_client(app, public, auth_method="none", scope="openid profile citizen_id")
    callback = public.code()
    refused = _redeem_public(public, callback["code"], stranger.portal.client_id)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_grant"
    assert _redeem_public(public, callback["code"], public.portal.client_id).status_code == 200


@pytest.mark.spec("OIDC-Core-3.1.2.1")
def test_an_id_token_hint_from_another_sector_does_not_answer_silently(
    flow: Flow, other: Flow
) -> None:
    """Pairwise subjects differ between sectors, so a hint issued to one portal names nobody
    the other portal knows: no code without a sign-in."""
    tokens: dict[str, Any] = flow.redeem(flow.code()["code"]).get_json()
    response = other.authorize(prompt="none", id_token_hint=tokens["id_token"], scope="openid")
    assert query(response.headers["Location"])["error"] == "login_required"


@pytest.mark.spec("OIDC-Core-2")
def test_tokens_name_their_own_portal(flow: Flow, other: Flow) -> None:
    mine = flow.redeem(flow.code()["code"]).get_json()
    callback = other.follow_to_portal(
        other.consent(other.authorize(scope="openid", nonce="other-portal-nonce-1"))
    )
    theirs = other.redeem(callback["code"]).get_json()
    assert id_token(flow, mine["id_token"])["aud"] == flow.portal.client_id
    assert id_token(flow, theirs["id_token"])["aud"] == other.portal.client_id
    assert id_token(flow, mine["id_token"])["sub"] != id_token(flow, theirs["id_token"])["sub"]
    # Another portal sees a foreign access token as inactive (RFC 7662 §2.2).
    seen = other.post_as_portal("/introspect", token=mine["access_token"]).get_json()
    assert seen == {"active": False}


def test_a_client_id_never_reads_as_a_command_line_option(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``idp clients show ID`` must work for every portal: an id starting with ``-`` would be
    taken for an option (token_urlsafe draws one in 64)."""
    drawn = iter(["-starts-with-a-dash", "a-fine-identifier"])
    monkeypatch.setattr(clients.secrets, "token_urlsafe", lambda n: next(drawn))
    with app.app_context():
        registration = register_client(
            name="Portal",
            redirect_uris=["https://a.example/cb"],
            scope="openid",
            auth_method="none",
        )
        assert registration.client.client_id == "a-fine-identifier"
