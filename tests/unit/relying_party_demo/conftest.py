"""Fixtures for the demo portal: the portal itself, and a fake provider behind ``requests``.

The fake provider answers discovery, JWKS, token and UserInfo requests in memory, so the portal's
whole sign-in runs without a real provider or a network. It starts valid; each test breaks one
thing through its ``id_token_claims``, ``userinfo_claims``, ``token_response`` or ``metadata``.
The provider's own fixtures (``app``, ``client``) are not used here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from authlib.oidc.core.util import create_half_hash
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey

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


@dataclass
class Grant:
    nonce: str
    code_challenge: str
    redirect_uri: str
    used: bool = False


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
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
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
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(query["nonce"], query["code_challenge"], query["redirect_uri"])
        return {"code": code, "state": query["state"], "iss": ISSUER}

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
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _json_response(request, {"error": "invalid_client"}, 401)
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        form = dict(parse_qsl(body))
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

        access_token = secrets.token_urlsafe(32)
        self.access_tokens.add(access_token)
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": CITIZEN["sub"],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now - 5,
            "nonce": grant.nonce,
            "acr": "loa2",
            "amr": ["pwd", "otp", "mfa"],
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
                "scope": "openid profile citizen_id",
                "id_token": id_token,
            },
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
def portal_environ() -> dict[str, str]:
    return dict(PORTAL_ENVIRON)


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
) -> Callable[[], dict[str, str]]:
    """Begin a sign-in at the portal and let the fake provider answer it: the callback's query."""

    def start() -> dict[str, str]:
        response = portal_client.get("/login")
        assert response.status_code == 302
        return fake_provider.authorize(response.headers["Location"])

    return start


@pytest.fixture
def signed_in(
    portal_client: FlaskClient, start_sign_in: Callable[[], dict[str, str]]
) -> FlaskClient:
    """A portal client whose citizen has signed in through the fake provider."""
    response = portal_client.get("/callback", query_string=start_sign_in())
    assert response.status_code == 303, response.text
    return portal_client
