"""Fixtures for the demo portal: the portal itself, and a fake provider behind ``requests``.

The fake provider answers discovery, JWKS, token and UserInfo requests in memory, so the portal's
whole sign-in runs without a real provider or a network. It starts valid; each test breaks one
thing through its ``id_token_claims``, ``userinfo_claims``, ``token_response`` or ``metadata``.
It also makes the logout tokens a real provider would POST to ``/backchannel-logout``
(:meth:`FakeProvider.logout_token`). The provider's own fixtures (``app``, ``client``) are not
used here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from authlib.oidc.core.util import create_half_hash
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from relying_party_demo import create_app

ISSUER = "http://localhost:5000"
CLIENT_ID = "portal-test-client"
CLIENT_SECRET = "portal-test-client-secret-0123456789"
BASE_URL = "http://127.0.0.1:5001"
REDIRECT_URI = f"{BASE_URL}/callback"

PORTAL_ENVIRON = {
    "RP_ISSUER": ISSUER,
    "RP_CLIENT_ID": CLIENT_ID,
    "RP_CLIENT_SECRET": CLIENT_SECRET,
    "RP_BASE_URL": BASE_URL,
    "RP_SECRET_KEY": "portal-test-secret-key-0123456789abcdef",
}

CITIZEN = {
    "sub": "pairwise-subject-0001",
    "name": "Nguyễn Văn An",
    "family_name": "Nguyễn",
    "middle_name": "Văn",
    "given_name": "An",
    "birthdate": "1990-05-17",
    "gender": "male",
    "citizen_id": "001090012345",
}


LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class Grant:
    nonce: str
    code_challenge: str
    redirect_uri: str
    scope: str
    acr_values: str | None
    used: bool = False
    sid: str = field(default_factory=lambda: secrets.token_urlsafe(16))


@dataclass
class FakeProvider:
    """An OpenID provider in memory, reached through ``requests``."""

    key: ECKey = field(
        default_factory=lambda: ECKey.generate_key("P-256", parameters={"kid": "test-key-1"})
    )
    metadata: dict[str, Any] = field(
        default_factory=lambda: {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "userinfo_endpoint": f"{ISSUER}/userinfo",
            "jwks_uri": f"{ISSUER}/jwks.json",
            "end_session_endpoint": f"{ISSUER}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "authorization_response_iss_parameter_supported": True,
        }
    )
    # Overrides applied to what a valid exchange would return; a value of None removes the claim.
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    userinfo_claims: dict[str, Any] = field(default_factory=dict)
    token_response: dict[str, Any] | None = None
    signing_key: ECKey | None = None
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    received: list[requests.PreparedRequest] = field(default_factory=list)
    # The query of every authorization request the portal sent, in order.
    authorizations: list[dict[str, str]] = field(default_factory=list)
    # With private_key_jwt: the portal's public keys, and the assertions' jtis seen.
    client_jwks: dict[str, Any] | None = None
    assertions: list[dict[str, Any]] = field(default_factory=list)

    def authorize(self, authorization_url: str) -> dict[str, str]:
        """Play the citizen signing in: check the request, return the callback's parameters."""
        parts = urlsplit(authorization_url)
        assert (
            f"{parts.scheme}://{parts.netloc}{parts.path}"
            == self.metadata["authorization_endpoint"]
        )
        query = dict(parse_qsl(parts.query))
        assert query["response_type"] == "code"
        assert query["client_id"] == CLIENT_ID
        assert query["redirect_uri"] == REDIRECT_URI
        assert query["code_challenge_method"] == "S256"
        assert "openid" in query["scope"].split()
        self.authorizations.append(query)
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(
            query["nonce"],
            query["code_challenge"],
            query["redirect_uri"],
            query["scope"],
            query.get("acr_values"),
        )
        return {"code": code, "state": query["state"], "iss": ISSUER}

    def logout_token(
        self, *, header: dict[str, Any] | None = None, key: ECKey | None = None, **claims: Any
    ) -> str:
        """A valid back-channel logout token for the citizen's latest sign-in; a claim given as
        None is left out."""
        now = int(time.time())
        latest = list(self.grants.values())[-1] if self.grants else None
        valid = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(16),
            "events": {LOGOUT_EVENT: {}},
            "sid": latest.sid if latest else "no-session",
            "sub": CITIZEN["sub"],
        }
        return jwt.encode(
            header or {"alg": "ES256", "kid": self.key.kid, "typ": "logout+jwt"},
            _apply(valid, claims),
            key or self.key,
        )

    def handle(self, request: requests.PreparedRequest) -> requests.Response:
        self.received.append(request)
        url = request.url or ""
        if url == f"{ISSUER}/.well-known/openid-configuration":
            return _json_response(request, self.metadata)
        if url == self.metadata["jwks_uri"]:
            return _json_response(request, {"keys": [self.key.as_dict(private=False)]})
        if url == self.metadata["token_endpoint"] and request.method == "POST":
            return self._token(request)
        if url == self.metadata["userinfo_endpoint"]:
            return self._userinfo(request)
        return _json_response(request, {"error": "not_found"}, 404)

    def _token(self, request: requests.PreparedRequest) -> requests.Response:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        form = dict(parse_qsl(body))
        if not self._authenticates(request, form):
            return _json_response(request, {"error": "invalid_client"}, 401)
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used or form.get("grant_type") != "authorization_code":
            return _json_response(request, {"error": "invalid_grant"}, 400)
        grant.used = True
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != grant.code_challenge:
            return _json_response(request, {"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return _json_response(request, {"error": "invalid_grant"}, 400)
        if self.token_response is not None:
            return _json_response(request, self.token_response)

        now = int(time.time())
        acr = "loa1" if grant.acr_values == "loa1" else "loa2"
        # An RFC 9068 access token, as the real provider issues.
        access_token = jwt.encode(
            {"alg": "ES256", "kid": self.key.kid, "typ": "at+jwt"},
            {
                "iss": ISSUER,
                "aud": f"{ISSUER}/userinfo",
                "sub": CITIZEN["sub"],
                "client_id": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "jti": secrets.token_urlsafe(16),
                "scope": grant.scope,
                "acr": acr,
            },
            self.key,
        )
        self.access_tokens.add(access_token)
        claims = {
            "iss": ISSUER,
            "sub": CITIZEN["sub"],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now - 5,
            "nonce": grant.nonce,
            "acr": acr,
            "amr": ["pwd"] if acr == "loa1" else ["pwd", "otp", "mfa"],
            "sid": grant.sid,
            "at_hash": create_half_hash(access_token, "ES256").decode(),
            "name": CITIZEN["name"],
            "birthdate": CITIZEN["birthdate"],
        }
        id_token = jwt.encode(
            {"alg": "ES256", "kid": self.key.kid},
            _apply(claims, self.id_token_claims),
            self.signing_key or self.key,
        )
        return _json_response(
            request,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": grant.scope,
                "id_token": id_token,
            },
        )

    def _authenticates(self, request: requests.PreparedRequest, form: dict[str, str]) -> bool:
        if self.client_jwks is None:
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            return request.headers.get("Authorization") == f"Basic {expected}"
        # private_key_jwt, as idp/oidc/client_auth.py checks it.
        if "Authorization" in request.headers or "client_secret" in form:
            return False
        if form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return False
        token = jwt.decode(form["client_assertion"], KeySet.import_key_set(self.client_jwks))
        claims = dict(token.claims)
        self.assertions.append({"header": dict(token.header), "claims": claims})
        return bool(
            claims["iss"] == claims["sub"] == CLIENT_ID
            and claims["aud"] in (ISSUER, self.metadata["token_endpoint"])
            and claims["exp"] <= time.time() + 300
            and claims["jti"] not in [a["claims"]["jti"] for a in self.assertions[:-1]]
        )

    def _userinfo(self, request: requests.PreparedRequest) -> requests.Response:
        scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or access_token not in self.access_tokens:
            return _json_response(request, {"error": "invalid_token"}, 401)
        return _json_response(request, _apply(CITIZEN, self.userinfo_claims))

    @property
    def token_requests(self) -> list[requests.PreparedRequest]:
        return [r for r in self.received if r.url == self.metadata["token_endpoint"]]


def _apply(claims: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**claims, **overrides}
    return {name: value for name, value in merged.items() if value is not None}


def _json_response(
    request: requests.PreparedRequest, body: dict[str, Any], status: int = 200
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = "OK" if status == 200 else "Error"
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps(body).encode()
    response.encoding = "utf-8"
    response.url = request.url or ""
    response.request = request
    return response


@pytest.fixture
def portal_environ(tmp_path: Path) -> dict[str, str]:
    # The portal's session store lives in the test's own folder, never in the working tree.
    return {**PORTAL_ENVIRON, "RP_INSTANCE_PATH": str(tmp_path / "portal-instance")}


@pytest.fixture
def citizen() -> dict[str, str]:
    """The UserInfo the fake provider releases for the signed-in citizen."""
    return dict(CITIZEN)


@pytest.fixture
def portal(portal_environ: dict[str, str]) -> Flask:
    application = create_app(portal_environ)
    application.testing = True
    return application


@pytest.fixture
def portal_client(portal: Flask) -> FlaskClient:
    return portal.test_client()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test of the portal reaches a real provider; one that tries fails to connect."""

    def refuse(adapter: object, request: requests.PreparedRequest, **kwargs: Any) -> None:
        raise requests.ConnectionError(f"no network in unit tests: {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)


@pytest.fixture
def fake_provider(monkeypatch: pytest.MonkeyPatch, _no_network: None) -> FakeProvider:
    provider = FakeProvider()

    def send(adapter: object, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        if (request.url or "").startswith(f"{ISSUER}/"):
            return provider.handle(request)
        raise requests.ConnectionError(f"no network in unit tests: {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return provider


@pytest.fixture
def start_sign_in(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> Callable[..., dict[str, str]]:
    """Begin a sign-in at the portal and let the fake provider answer it: the callback's query."""

    def start(path: str = "/login") -> dict[str, str]:
        response = portal_client.get(path)
        assert response.status_code == 302, response.text
        return fake_provider.authorize(response.headers["Location"])

    return start


@pytest.fixture
def signed_in(
    portal_client: FlaskClient, start_sign_in: Callable[..., dict[str, str]]
) -> FlaskClient:
    """A portal client whose citizen has signed in through the fake provider."""
    response = portal_client.get("/callback", query_string=start_sign_in())
    assert response.status_code == 303, response.text
    return portal_client
