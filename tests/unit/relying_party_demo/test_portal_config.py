"""The portal's settings: what it refuses to start without, and what it derives."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from joserfc.jwk import ECKey

from relying_party_demo import ConfigurationError, create_app
from relying_party_demo.config import load

Environ = dict[str, str]


def changed(environ: Environ, *removed: str, **changes: str) -> Environ:
    result = {name: value for name, value in environ.items() if name not in removed}
    result.update(changes)
    return result


@pytest.mark.parametrize("secret_key", [None, "", "   "])
def test_refuses_to_start_without_a_secret_key(
    portal_environ: Environ, secret_key: str | None
) -> None:
    environ = changed(portal_environ, "RP_SECRET_KEY")
    if secret_key is not None:
        environ["RP_SECRET_KEY"] = secret_key
    with pytest.raises(ConfigurationError, match="RP_SECRET_KEY is not set"):
        create_app(environ)


@pytest.mark.parametrize("name", ["RP_CLIENT_ID", "RP_CLIENT_SECRET"])
def test_refuses_to_start_without_client_credentials(portal_environ: Environ, name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{name} is not set.*idp clients create"):
        create_app(changed(portal_environ, name))


def test_refuses_a_scope_without_openid(portal_environ: Environ) -> None:
    with pytest.raises(ConfigurationError, match="'openid'"):
        create_app(changed(portal_environ, RP_SCOPE="profile citizen_id"))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RP_ISSUER", "localhost:5000"),
        ("RP_ISSUER", "ftp://localhost"),
        ("RP_ISSUER", "http://localhost:5000/?tenant=1"),
        ("RP_BASE_URL", "/relative"),
    ],
)
def test_refuses_an_unusable_url(portal_environ: Environ, name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        create_app(changed(portal_environ, **{name: value}))


def test_defaults(portal_environ: Environ) -> None:
    settings = load(changed(portal_environ, "RP_ISSUER", "RP_BASE_URL", "RP_SCOPE"))
    assert settings.issuer == "http://localhost:5000"
    assert settings.base_url == "http://127.0.0.1:5001"
    assert settings.redirect_uri == "http://127.0.0.1:5001/callback"
    assert settings.scope == "openid profile citizen_id"
    assert settings.metadata_url == "http://localhost:5000/.well-known/openid-configuration"
    assert settings.issuer_origin == "http://localhost:5000"
    assert not settings.uses_https


def test_derived_urls_of_a_deployed_portal(portal_environ: Environ) -> None:
    settings = load(
        changed(
            portal_environ,
            RP_ISSUER="https://id.example.gov.vn/oidc/",
            RP_BASE_URL="https://portal.example.gov.vn/",
        )
    )
    # The issuer is compared exactly as configured; only the discovery URL drops the "/".
    assert settings.issuer == "https://id.example.gov.vn/oidc/"
    assert settings.metadata_url == (
        "https://id.example.gov.vn/oidc/.well-known/openid-configuration"
    )
    assert settings.issuer_origin == "https://id.example.gov.vn"
    assert settings.redirect_uri == "https://portal.example.gov.vn/callback"
    assert settings.uses_https


def test_session_cookie_is_the_portals_own(portal: Flask) -> None:
    assert portal.config["SESSION_COOKIE_NAME"] == "portal_session"
    assert portal.config["SESSION_COOKIE_HTTPONLY"] is True
    assert portal.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert portal.config["SESSION_COOKIE_SECURE"] is False


def test_session_cookie_is_secure_over_https(portal_environ: Environ) -> None:
    portal = create_app(changed(portal_environ, RP_BASE_URL="https://portal.example.gov.vn"))
    assert portal.config["SESSION_COOKIE_SECURE"] is True


def test_wsgi_module_reads_the_process_environment(
    portal_environ: Environ, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in portal_environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "relying_party_demo.wsgi", raising=False)
    wsgi = importlib.import_module("relying_party_demo.wsgi")
    assert isinstance(wsgi.app, Flask)

    monkeypatch.delenv("RP_SECRET_KEY")
    monkeypatch.delitem(sys.modules, "relying_party_demo.wsgi")
    with pytest.raises(ConfigurationError, match="RP_SECRET_KEY"):
        importlib.import_module("relying_party_demo.wsgi")


# --- private_key_jwt ---------------------------------------------------------------------------


def write_key(path: Path, data: object) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def test_private_key_jwt_needs_a_key_file_not_a_secret(
    portal_environ: Environ, tmp_path: Path
) -> None:
    environ = changed(portal_environ, "RP_CLIENT_SECRET", RP_AUTH_METHOD="private_key_jwt")
    with pytest.raises(ConfigurationError, match="RP_PRIVATE_KEY_FILE is not set"):
        load(environ)
    key = ECKey.generate_key("P-256")
    environ["RP_PRIVATE_KEY_FILE"] = write_key(tmp_path / "key.json", key.as_dict(private=True))
    settings = load(environ)
    assert settings.auth_method == "private_key_jwt"
    assert settings.client_secret == ""
    assert settings.private_jwk is not None
    # A key without kid or alg gets its thumbprint and the provider's algorithm for its type.
    assert settings.private_jwk["kid"] == key.thumbprint()
    assert settings.private_jwk["alg"] == "ES256"
    assert settings.private_jwk["d"] not in repr(settings)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: "not json", "cannot be read"),
        (lambda: {"kty": "oct", "k": "c2VjcmV0"}, "EC or RSA"),
        (lambda: ECKey.generate_key("P-256").as_dict(private=False), "public key"),
        (lambda: ECKey.generate_key("P-384").as_dict(private=True), "P-256"),
        (lambda: {**ECKey.generate_key("P-256").as_dict(private=True), "alg": "HS256"}, "alg"),
    ],
)
def test_unusable_private_keys_are_refused(
    portal_environ: Environ, tmp_path: Path, make: Callable[[], object], message: str
) -> None:
    data = make()
    path = tmp_path / "key.json"
    if isinstance(data, str):
        path.write_text(data)
    else:
        write_key(path, data)
    environ = changed(
        portal_environ, RP_AUTH_METHOD="private_key_jwt", RP_PRIVATE_KEY_FILE=str(path)
    )
    with pytest.raises(ConfigurationError, match=message):
        load(environ)


def test_an_unknown_auth_method_is_refused(portal_environ: Environ) -> None:
    with pytest.raises(ConfigurationError, match="RP_AUTH_METHOD"):
        load(changed(portal_environ, RP_AUTH_METHOD="client_secret_post"))


def test_jwks_is_not_published_with_client_secret_basic(portal: Flask) -> None:
    assert portal.test_client().get("/jwks.json").status_code == 404


def test_logout_uris_are_derived_from_the_base_url(portal_environ: Environ) -> None:
    settings = load(portal_environ)
    assert settings.post_logout_redirect_uri == "http://127.0.0.1:5001/logged-out"
    assert settings.backchannel_logout_uri == "http://127.0.0.1:5001/backchannel-logout"
    assert settings.jwks_uri == "http://127.0.0.1:5001/jwks.json"


def test_sessions_are_stored_in_the_instance_folder(portal: Flask, portal_environ: Environ) -> None:
    assert portal.instance_path == portal_environ["RP_INSTANCE_PATH"]
    assert (Path(portal.instance_path) / "portal.sqlite3").exists()
