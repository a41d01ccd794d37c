"""Client authentication at /token, /introspect and /revoke: the registered method only, one
method per request, and private_key_jwt (RFC 7523 §3, OIDC Core §9) with inline keys or a
jwks_uri served from a real HTTP server."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from idp import clock
from idp.cli import main
from idp.keys.store import ensure_keys
from idp.oidc.clients import RegistrationError, register_client
from tests.factories import REDIRECT_URI, make_portal
from tests.integration.conftest import START, Flow, flow_with

ISSUER = "http://localhost:5000"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Signer:
    """A portal's signing key, and the assertions it makes."""

    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", private=True))

    @property
    def kid(self) -> str:
        return self.key.thumbprint()

    def public_jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False, kid=self.kid, alg="ES256", use="sig")
        return {"keys": [dict(public)]}

    def assertion(self, client_id: str, **changes: Any) -> str:
        """A valid client assertion; each test breaks one thing with ``changes`` (None drops
        a claim)."""
        now = int(clock.now().timestamp())
        claims: dict[str, Any] = {
            "iss": client_id,
            "sub": client_id,
            "aud": f"{ISSUER}/token",
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(16),
        }
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": "ES256", "kid": self.kid}, claims, self.key, ["ES256"])


def _token_request(browser: FlaskClient, assertion: str | None, **data: str | None) -> TestResponse:
    """A code exchange with a code that does not exist, so that an authenticated client gets
    invalid_grant (400) and one that failed to authenticate gets invalid_client (401)."""
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": "no-such-code",
        "redirect_uri": REDIRECT_URI,
        "code_verifier": "v" * 43,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    form.update(data)
    return browser.post("/token", data={k: v for k, v in form.items() if v is not None})


def _authenticated(response: TestResponse) -> bool:
    body = response.get_json()
    if response.status_code == 401:
        assert body["error"] == "invalid_client"
        assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert response.headers["Cache-Control"] == "no-store"
        return False
    assert response.status_code == 400, response.get_data(as_text=True)
    assert body["error"] == "invalid_grant"
    return True


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def jwt_flow(app: Flask, signer: Signer) -> Iterator[Flow]:
    """A portal registered for private_key_jwt with an inline JWK Set."""
    yield from flow_with(app, auth_method="private_key_jwt", jwks=signer.public_jwks())


# private_key_jwt with inline keys


@pytest.mark.spec("OIDC-Core-9")
def test_private_key_jwt_redeems_a_code_and_manages_its_tokens(
    jwt_flow: Flow, signer: Signer
) -> None:
    client_id = jwt_flow.portal.client_id
    callback = jwt_flow.code()
    response = _token_request(
        jwt_flow.browser,
        signer.assertion(client_id),
        code=callback["code"],
        code_verifier=jwt_flow.verifier,
        client_id=client_id,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    access_token = response.get_json()["access_token"]
    credentials = {"client_assertion_type": ASSERTION_TYPE}
    introspected = jwt_flow.browser.post(
        "/introspect",
        data={
            "token": access_token,
            "client_assertion": signer.assertion(client_id),
            **credentials,
        },
    )
    assert introspected.get_json()["active"] is True
    revoked = jwt_flow.browser.post(
        "/revoke",
        data={
            "token": access_token,
            "client_assertion": signer.assertion(client_id),
            **credentials,
        },
    )
    assert revoked.status_code == 200
    userinfo = jwt_flow.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert userinfo.status_code == 401


@pytest.mark.parametrize("aud", [ISSUER, f"{ISSUER}/token", ["https://elsewhere.example", ISSUER]])
@pytest.mark.spec("RFC7523-3")
def test_the_audience_may_be_the_issuer_or_the_token_endpoint(
    jwt_flow: Flow, signer: Signer, aud: str | list[str]
) -> None:
    assertion = signer.assertion(jwt_flow.portal.client_id, aud=aud)
    assert _authenticated(_token_request(jwt_flow.browser, assertion))


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"aud": "https://elsewhere.example/token"}, "another server's audience"),
        ({"aud": f"{ISSUER}/userinfo"}, "not our issuer nor our token endpoint"),
        ({"aud": None}, "no audience"),
        ({"iss": "someone-else"}, "iss is not the client"),
        ({"sub": "someone-else"}, "sub is not the client"),
        ({"exp": None}, "no expiry"),
        ({"exp": "soon"}, "exp is not a NumericDate"),
        ({"jti": None}, "no jti"),
        ({"iat": int(START.timestamp()) + 600}, "issued in the future"),
    ],
)
@pytest.mark.spec("RFC7523-3")
def test_an_assertion_with_bad_claims_is_refused(
    jwt_flow: Flow, signer: Signer, changes: dict[str, Any], why: str
) -> None:
    assertion = signer.assertion(jwt_flow.portal.client_id, **changes)
    assert not _authenticated(_token_request(jwt_flow.browser, assertion)), why


@pytest.mark.spec("RFC7523-3")
def test_an_expired_assertion_is_refused(jwt_flow: Flow, signer: Signer) -> None:
    assertion = signer.assertion(jwt_flow.portal.client_id, iat=None)  # exp alone decides
    jwt_flow.advance(60 + 31)  # past exp and the 30 s of allowed clock skew
    assert not _authenticated(_token_request(jwt_flow.browser, assertion))


def test_an_assertion_may_not_live_longer_than_five_minutes(jwt_flow: Flow, signer: Signer) -> None:
    now = int(START.timestamp())
    client_id = jwt_flow.portal.client_id
    fine = signer.assertion(client_id, exp=now + 300)
    too_long = signer.assertion(client_id, exp=now + 3600)
    assert _authenticated(_token_request(jwt_flow.browser, fine))
    assert not _authenticated(_token_request(jwt_flow.browser, too_long))


@pytest.mark.spec("RFC7523-3")
def test_an_assertion_is_accepted_once(jwt_flow: Flow, signer: Signer) -> None:
    assertion = signer.assertion(jwt_flow.portal.client_id)
    assert _authenticated(_token_request(jwt_flow.browser, assertion))
    assert not _authenticated(_token_request(jwt_flow.browser, assertion))


def test_of_concurrent_uses_of_one_assertion_exactly_one_wins(
    app: Flask, jwt_flow: Flow, signer: Signer
) -> None:
    assertion = signer.assertion(jwt_flow.portal.client_id)
    ready = threading.Barrier(4)
    outcomes: list[bool] = []

    def use() -> None:
        browser = app.test_client()
        ready.wait()
        outcomes.append(_authenticated(_token_request(browser, assertion)))

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, False, False, True]


def test_an_assertion_signed_with_another_key_is_refused(jwt_flow: Flow, signer: Signer) -> None:
    impostor = Signer()
    claims = jwt.decode(signer.assertion(jwt_flow.portal.client_id), signer.key).claims
    forged = jwt.encode({"alg": "ES256", "kid": signer.kid}, claims, impostor.key, ["ES256"])
    assert not _authenticated(_token_request(jwt_flow.browser, forged))


def test_a_symmetric_algorithm_is_refused(jwt_flow: Flow, signer: Signer) -> None:
    claims = jwt.decode(signer.assertion(jwt_flow.portal.client_id), signer.key).claims
    secret = OctKey.generate_key(256)
    forged = jwt.encode({"alg": "HS256", "kid": signer.kid}, claims, secret, ["HS256"])
    assert not _authenticated(_token_request(jwt_flow.browser, forged))


def test_the_assertion_type_must_be_jwt_bearer(jwt_flow: Flow, signer: Signer) -> None:
    assertion = signer.assertion(jwt_flow.portal.client_id)
    response = _token_request(jwt_flow.browser, assertion, client_assertion_type="urn:example:saml")
    assert not _authenticated(response)


def test_a_client_id_beside_the_assertion_must_name_the_same_client(
    app: Flask, jwt_flow: Flow, signer: Signer
) -> None:
    with app.app_context():
        other = make_portal(redirect_uri="https://thue.example.vn/cb")
    assertion = signer.assertion(jwt_flow.portal.client_id)
    response = _token_request(jwt_flow.browser, assertion, client_id=other.client_id)
    assert not _authenticated(response)


# One method, the registered one


@pytest.mark.parametrize(
    ("basic", "body"),
    [
        (True, {"client_secret": "the-secret"}),
        (False, {"client_secret": "the-secret", "client_assertion": "x"}),
        (True, {"client_assertion_type": ASSERTION_TYPE, "client_assertion": "x"}),
    ],
)
@pytest.mark.spec("RFC6749-2.3")
def test_two_authentication_methods_in_one_request_are_refused(
    flow: Flow, basic: bool, body: dict[str, str]
) -> None:
    secret = flow.portal.client_secret
    assert secret
    data = {k: secret if v == "the-secret" else v for k, v in body.items()}
    response = flow.browser.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "no-such-code", **data},
        auth=(flow.portal.client_id, secret) if basic else None,
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_a_repeated_credential_is_refused(flow: Flow) -> None:
    response = flow.browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "client_id": [flow.portal.client_id, flow.portal.client_id],
        },
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


@pytest.mark.spec("RFC6749-5.2")
def test_a_failed_basic_authentication_gets_a_basic_challenge(flow: Flow) -> None:
    response = flow.redeem("no-such-code")  # the right secret: control
    assert response.get_json()["error"] == "invalid_grant"
    response = flow.browser.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "no-such-code"},
        auth=(flow.portal.client_id, "not-the-secret"),
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"] == f'Basic realm="{ISSUER}"'
    assert response.headers["Cache-Control"] == "no-store"


def test_only_the_registered_method_is_accepted(flow: Flow, signer: Signer) -> None:
    secret = flow.portal.client_secret
    assert secret
    as_post = flow.browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": "no-such-code",
            "client_id": flow.portal.client_id,
            "client_secret": secret,
        },
    )
    assert as_post.status_code == 401
    assert as_post.get_json()["error"] == "invalid_client"
    as_jwt = _token_request(flow.browser, signer.assertion(flow.portal.client_id))
    assert not _authenticated(as_jwt)


# private_key_jwt with a jwks_uri


class JwksServer:
    """A portal's web server publishing JWK Sets, each at its own path; it counts fetches."""

    def __init__(self) -> None:
        self.base = ""
        self.documents: dict[str, dict[str, Any]] = {}
        self.fetches: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        self.fetches.append(path)
        document = self.documents.get(path)
        if document is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(document).encode()]

    def publish(self, document: dict[str, Any]) -> str:
        path = f"/{secrets.token_urlsafe(8)}/jwks.json"
        self.documents[path] = document
        return self.base + path

    def count(self, url: str) -> int:
        return self.fetches.count(url.removeprefix(self.base))


@pytest.fixture(scope="session")
def jwks_server() -> Iterator[JwksServer]:
    published = JwksServer()
    server = make_server("127.0.0.1", 0, published)
    published.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield published
    server.shutdown()
    server.server_close()
    thread.join()


def _jwks_uri_portal(app: Flask, url: str) -> str:
    with app.app_context():
        ensure_keys()
        return make_portal(auth_method="private_key_jwt", jwks_uri=url).client_id


def test_jwks_uri_keys_are_cached_and_fetched_again_for_an_unknown_kid(
    app: Flask, jwks_server: JwksServer
) -> None:
    first, second = Signer(), Signer()
    url = jwks_server.publish(first.public_jwks())
    browser = app.test_client()
    with clock.frozen(START) as advance:
        client_id = _jwks_uri_portal(app, url)
        assert _authenticated(_token_request(browser, first.assertion(client_id)))
        assert _authenticated(_token_request(browser, first.assertion(client_id)))
        assert jwks_server.count(url) == 1  # cached
        # The portal rotates its key: the new kid is unknown to the cache, so it is fetched.
        jwks_server.documents[url.removeprefix(jwks_server.base)] = second.public_jwks()
        advance(30)
        assert _authenticated(_token_request(browser, second.assertion(client_id)))
        assert jwks_server.count(url) == 2
        # The old key is gone; a kid unknown just after a fetch does not fetch again.
        assert not _authenticated(_token_request(browser, first.assertion(client_id)))
        assert jwks_server.count(url) == 2
        advance(11)
        assert not _authenticated(_token_request(browser, first.assertion(client_id)))
        assert jwks_server.count(url) == 3


def test_an_unreachable_jwks_uri_refuses_the_client(app: Flask, jwks_server: JwksServer) -> None:
    signer = Signer()
    url = f"{jwks_server.base}/nothing-here/jwks.json"
    with clock.frozen(START):
        client_id = _jwks_uri_portal(app, url)
        response = _token_request(app.test_client(), signer.assertion(client_id))
        assert not _authenticated(response)
        assert "jwks_uri" in response.get_json()["error_description"]


# Registration


def _register(**options: Any) -> None:
    register_client(
        name="x",
        redirect_uris=[REDIRECT_URI],
        scope="openid",
        auth_method="private_key_jwt",
        **options,
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs the client's jwks or jwks_uri"),
        ({"jwks": {"keys": [{"kty": "EC"}]}}, "not a valid JWK Set"),
        ({"jwks": {"keys": []}}, "not a valid JWK Set"),
        ({"jwks": {"kty": "EC"}}, "not a JWK Set"),
        ({"jwks_uri": "http://keys.example.vn/jwks.json"}, "must use https"),
        (
            {"jwks_uri": "https://keys.example.vn/jwks.json", "jwks": Signer().public_jwks()},
            "not both",
        ),
    ],
)
def test_registration_refuses_bad_keys(
    app_context: Flask, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(RegistrationError, match=message):
        _register(**options)


def test_registration_refuses_a_private_key(app_context: Flask) -> None:
    private = Signer().key.as_dict(private=True, kid="k1")
    with pytest.raises(RegistrationError, match="private"):
        _register(jwks={"keys": [dict(private)]})


def test_cli_registers_a_private_key_jwt_portal_from_a_jwks_file(
    app: Flask, tmp_path: Path
) -> None:
    signer = Signer()
    public, private = tmp_path / "public.json", tmp_path / "private.json"
    public.write_text(json.dumps(signer.public_jwks()))
    private.write_text(json.dumps({"keys": [dict(signer.key.as_dict(private=True))]}))
    runner = app.test_cli_runner()
    args = ["clients", "create", "--name", "x", "--redirect-uri", "https://a.vn/cb"]
    args += ["--scope", "openid", "--auth-method", "private_key_jwt", "--json"]
    created = runner.invoke(main, [*args, "--jwks", str(public)])
    assert created.exit_code == 0, created.output
    registration = json.loads(created.output)
    assert registration["client_secret"] is None
    shown = runner.invoke(main, ["clients", "show", registration["client_id"]])
    assert json.loads(shown.output)["jwks"] == signer.public_jwks()
    refused = runner.invoke(main, [*args, "--jwks", str(private)])
    assert refused.exit_code == 1
    assert "private" in refused.output
