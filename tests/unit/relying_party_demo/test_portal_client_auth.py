"""The portal authenticating at the token endpoint with ``private_key_jwt`` (RFC 7523 §2.2,
OpenID Connect Core §9), as the provider's idp/oidc/client_auth.py checks it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import ECKey, KeySet

from relying_party_demo import create_app

if TYPE_CHECKING:
    from conftest import FakeProvider

ISSUER = "http://localhost:5000"


@pytest.fixture
def portal_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "portal-key-1"})


@pytest.fixture
def key_portal(portal_environ: dict[str, str], tmp_path: Path, portal_key: ECKey) -> Flask:
    path = tmp_path / "portal-key.json"
    path.write_text(json.dumps(portal_key.as_dict(private=True)))
    environ = {name: value for name, value in portal_environ.items() if name != "RP_CLIENT_SECRET"}
    environ.update(RP_AUTH_METHOD="private_key_jwt", RP_PRIVATE_KEY_FILE=str(path))
    application = create_app(environ)
    application.testing = True
    return application


def test_the_portal_publishes_its_public_key(key_portal: Flask, portal_key: ECKey) -> None:
    response = key_portal.test_client().get("/jwks.json")
    assert response.status_code == 200
    body = response.get_json()
    (published,) = body["keys"]
    assert published["kid"] == "portal-key-1"
    assert published["alg"] == "ES256"
    assert published["use"] == "sig"
    assert "d" not in published
    assert published["x"] == portal_key.as_dict()["x"]


def test_sign_in_authenticates_with_a_client_assertion(
    key_portal: Flask, fake_provider: FakeProvider
) -> None:
    fake_provider.client_jwks = key_portal.test_client().get("/jwks.json").get_json()
    KeySet.import_key_set(fake_provider.client_jwks)
    browser: FlaskClient = key_portal.test_client()
    for _ in range(2):
        query = fake_provider.authorize(browser.get("/login").headers["Location"])
        response = browser.get("/callback", query_string=query)
        assert response.status_code == 303, response.text

    first, second = fake_provider.assertions
    for assertion in (first, second):
        claims = assertion["claims"]
        assert claims["iss"] == claims["sub"] == "portal-test-client"
        assert claims["aud"] == f"{ISSUER}/token"
        assert claims["exp"] - claims["iat"] <= 300
        assert assertion["header"]["kid"] == "portal-key-1"
        assert assertion["header"]["alg"] == "ES256"
    assert first["claims"]["jti"] != second["claims"]["jti"]
    for request in fake_provider.token_requests:
        assert "Authorization" not in request.headers
