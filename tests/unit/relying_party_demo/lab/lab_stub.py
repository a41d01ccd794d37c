"""A small OpenID provider for the lab's unit tests, served on 127.0.0.1 by werkzeug in a thread.

It is correct by default (exact redirect URIs, S256 PKCE required, codes bound to their client
and used once, refresh tokens rotated with reuse detection, CSRF on its consent form, registered
post-logout URIs only, ID tokens signed with its key). Each name in ``misbehaviours`` breaks one
of those rules, so a test can show that the scenario checking it reports FAIL.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pyotp
from authlib.oidc.core.util import create_half_hash
from flask import Flask, Response, jsonify, redirect, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from werkzeug.serving import make_server

from relying_party_demo.lab.config import LabClient, LabSettings, citizen

CLIENT_ID = "lab-portal"
CLIENT_SECRET = "lab-portal-secret-0123456789abcdef"
REDIRECT_URI = "http://127.0.0.1:5001/callback"
SCOPE = "openid profile citizen_id"
SECOND_CLIENT_ID = "lab-second"
SECOND_CLIENT_SECRET = "lab-second-secret-0123456789abcdef"
SECOND_REDIRECT_URI = "http://127.0.0.1:5001/lab/callback"
SECOND_SCOPE = "openid profile offline_access"
POST_LOGOUT_REDIRECT_URI = "http://127.0.0.1:5001/logged-out"

CITIZEN = ("001090012345", "Sandbox-An-2026", "63NVG34AEYL7Q7QYVX5NJUHKP76D6BCO")
SECOND_CITIZEN = ("079185004321", "Sandbox-Binh-2026", "OGFQLOTPEMXOBFQ64JJLD74BAA56PTWK")

MISBEHAVIOURS = frozenset(
    {
        "accept_replayed_code",  # a code works twice
        "keep_tokens_on_replay",  # a replay is refused but the first tokens live on
        "code_any_client",  # any authenticated client may redeem any code
        "lax_redirect_uri",  # any redirect_uri is accepted and redirected to
        "pkce_optional",  # no code_challenge is fine
        "accept_plain",  # code_challenge_method=plain is accepted
        "ignore_verifier",  # a wrong code_verifier is accepted
        "verifier_optional",  # a missing code_verifier is accepted
        "narrow_scope",  # an unregistered scope is dropped, not refused
        "prompt_none_shows_login",  # prompt=none without a session shows the sign-in page
        "prompt_none_no_iss",  # authorization errors carry no iss
        "ignore_id_token_hint",  # id_token_hint is not compared with the session
        "no_rotation",  # a refresh returns the same refresh token, which stays valid
        "reuse_keeps_family",  # a reused refresh token is refused, the family lives on
        "accept_any_jwt",  # userinfo accepts any JWT-shaped bearer token
        "consent_without_csrf",  # the consent form's CSRF token is not checked
        "open_logout_redirect",  # logout redirects to any post_logout_redirect_uri
        "token_in_redirect",  # the code redirect also carries the access token
        "code_in_page_url",  # the code passes through a page URL of the provider
        "reject_everything",  # the token endpoint refuses every request
    }
)


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_uris: tuple[str, ...]
    scope: str
    post_logout_redirect_uris: tuple[str, ...] = ()


@dataclass
class Grant:
    client_id: str
    citizen_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    challenge: str | None
    method: str | None
    family: int
    used: bool = False
    preissued: str | None = None


@dataclass
class RefreshGrant:
    client_id: str
    citizen_id: str
    scope: str
    family: int
    used: bool = False


@dataclass
class StubProvider:
    misbehaviours: frozenset[str] = frozenset()
    key: ECKey = field(
        default_factory=lambda: ECKey.generate_key("P-256", parameters={"kid": "stub-key"})
    )
    issuer: str = ""
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = self.misbehaviours - MISBEHAVIOURS
        assert not unknown, unknown
        self.clients = {
            CLIENT_ID: Client(
                CLIENT_ID, CLIENT_SECRET, (REDIRECT_URI,), SCOPE, (POST_LOGOUT_REDIRECT_URI,)
            ),
            SECOND_CLIENT_ID: Client(
                SECOND_CLIENT_ID, SECOND_CLIENT_SECRET, (SECOND_REDIRECT_URI,), SECOND_SCOPE
            ),
        }
        self.citizens = {c[0]: c for c in (CITIZEN, SECOND_CITIZEN)}
        self.transactions: dict[str, dict[str, str]] = {}
        self.sessions: dict[str, tuple[str, str]] = {}  # sid -> (citizen_id, csrf token)
        self.consents: set[tuple[str, str]] = set()
        self.codes: dict[str, Grant] = {}
        self.access_tokens: dict[str, int] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.revoked_families: set[int] = set()
        self.issued: list[str] = []  # every code and token, for the masking test
        self._families = 0
        self.app = self._build()
        self._server = make_server("127.0.0.1", 0, self.app)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StubProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def does(self, misbehaviour: str) -> bool:
        return misbehaviour in self.misbehaviours

    # Helpers -------------------------------------------------------------------------------

    def subject(self, citizen_id: str) -> str:
        return f"sub-{citizen_id}"

    def _page(self, text: str, status: int, form: str = "") -> Response:
        body = f"<!doctype html><title>Stub</title><h1>{text}</h1>{form}"
        return Response(body, status=status, mimetype="text/html")

    def _signed_in(self) -> tuple[str, str] | None:
        return self.sessions.get(request.cookies.get("stub_sid", ""))

    def _with_params(self, uri: str, **params: str | None) -> str:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{uri}{'&' if '?' in uri else '?'}{query}"

    def _error(self, params: dict[str, str], error: str) -> Response:
        iss = None if self.does("prompt_none_no_iss") else self.issuer
        return redirect(
            self._with_params(
                params["redirect_uri"], error=error, state=params.get("state"), iss=iss
            )
        )

    def _hinted_subject(self, hint: str | None) -> str | None:
        if not hint:
            return None
        try:
            token = jwt.decode(hint, self.key, algorithms=["ES256"])
        except (JoseError, ValueError):
            return None
        sub = token.claims.get("sub")
        return sub if isinstance(sub, str) else None

    def _issue_code(self, tx: str, citizen_id: str) -> Response:
        params = self.transactions.pop(tx)
        code = secrets.token_urlsafe(24)
        self._families += 1
        grant = Grant(
            params["client_id"],
            citizen_id,
            params["redirect_uri"],
            params["scope"],
            params.get("nonce"),
            params.get("code_challenge"),
            params.get("code_challenge_method"),
            self._families,
        )
        self.codes[code] = grant
        self.issued.append(code)
        extra: dict[str, str | None] = {}
        if self.does("token_in_redirect"):
            grant.preissued = self._access_token(grant)
            extra["access_token"] = grant.preissued
        location = self._with_params(
            params["redirect_uri"], code=code, state=params.get("state"), iss=self.issuer, **extra
        )
        if self.does("code_in_page_url"):
            self.transactions[f"done-{code}"] = {"location": location}
            return redirect(f"/done?code={code}")
        return redirect(location)

    def _continue(self, tx: str, citizen_id: str) -> Response:
        params = self.transactions[tx]
        consented = (citizen_id, params["client_id"]) in self.consents
        if consented and "consent" not in params.get("prompt", "").split():
            return self._issue_code(tx, citizen_id)
        return redirect(f"/consent/{tx}")

    def _access_token(self, grant: Grant | RefreshGrant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self.subject(grant.citizen_id),
            "aud": f"{self.issuer}/userinfo",
            "client_id": grant.client_id,
            "scope": grant.scope,
            "iat": now,
            "exp": now + 600,
            "jti": secrets.token_urlsafe(12),
        }
        token = jwt.encode({"alg": "ES256", "kid": self.key.kid, "typ": "at+jwt"}, claims, self.key)
        self.access_tokens[token] = grant.family
        self.issued.append(token)
        return token

    def _refresh_token(self, grant: Grant | RefreshGrant) -> str:
        token = secrets.token_urlsafe(32)
        self.refresh_tokens[token] = RefreshGrant(
            grant.client_id, grant.citizen_id, grant.scope, grant.family
        )
        self.issued.append(token)
        return token

    def _id_token(self, grant: Grant | RefreshGrant, access_token: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject(grant.citizen_id),
            "aud": grant.client_id,
            "azp": grant.client_id,
            "iat": now,
            "exp": now + 600,
            "auth_time": now,
            "acr": "loa2",
            "amr": ["pwd", "otp", "mfa"],
            "at_hash": create_half_hash(access_token, "ES256").decode(),
        }
        if isinstance(grant, Grant) and grant.nonce:
            claims["nonce"] = grant.nonce
        token = jwt.encode({"alg": "ES256", "kid": self.key.kid, "typ": "JWT"}, claims, self.key)
        self.issued.append(token)
        return token

    def _client(self) -> Client | None:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return None
        client = self.clients.get(auth.username or "")
        return client if client and client.secret == auth.password else None

    # The app ---------------------------------------------------------------------------------

    def _build(self) -> Flask:
        app = Flask("lab_stub")
        stub = self

        @app.before_request
        def log_request() -> None:
            stub.requests.append(f"{request.method} {request.path}")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Response:
            issuer = stub.issuer
            return jsonify(
                issuer=issuer,
                authorization_endpoint=f"{issuer}/authorize",
                token_endpoint=f"{issuer}/token",
                userinfo_endpoint=f"{issuer}/userinfo",
                end_session_endpoint=f"{issuer}/logout",
                jwks_uri=f"{issuer}/jwks.json",
                scopes_supported=["openid", "profile", "address", "citizen_id", "offline_access"],
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["ES256"],
                code_challenge_methods_supported=["S256", "plain"]
                if stub.does("accept_plain")
                else ["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic"],
                authorization_response_iss_parameter_supported=True,
            )

        @app.get("/jwks.json")
        def jwks() -> Response:
            return jsonify(keys=[stub.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize() -> Response:
            params = request.args.to_dict()
            client = stub.clients.get(params.get("client_id", ""))
            if client is None:
                return stub._page("Unknown client", 400)
            if params.get("redirect_uri") not in client.redirect_uris and not stub.does(
                "lax_redirect_uri"
            ):
                return stub._page("The redirect_uri is not registered", 400)
            challenge = params.get("code_challenge")
            method = params.get("code_challenge_method", "plain")
            if not challenge and not stub.does("pkce_optional"):
                return stub._error(params, "invalid_request")
            if (
                challenge
                and method != "S256"
                and not (stub.does("accept_plain") and method == "plain")
            ):
                return stub._error(params, "invalid_request")
            scopes = params.get("scope", "").split()
            registered = client.scope.split()
            if any(s not in registered for s in scopes):
                if not stub.does("narrow_scope"):
                    return stub._error(params, "invalid_scope")
                params["scope"] = " ".join(s for s in scopes if s in registered)
            signed_in = stub._signed_in()
            hinted = stub._hinted_subject(params.get("id_token_hint"))
            other = (
                signed_in is not None
                and hinted is not None
                and hinted != stub.subject(signed_in[0])
                and not stub.does("ignore_id_token_hint")
            )
            prompts = params.get("prompt", "").split()
            no_session = signed_in is None and not stub.does("prompt_none_shows_login")
            if "none" in prompts and (other or no_session):
                return stub._error(params, "login_required")
            tx = secrets.token_urlsafe(12)
            stub.transactions[tx] = params
            if signed_in is None or other:
                return redirect(f"/login/{tx}")
            return stub._continue(tx, signed_in[0])

        @app.route("/login/<tx>", methods=["GET", "POST"])
        def login(tx: str) -> Response:
            if tx not in stub.transactions:
                return stub._page("Expired", 400)
            form = (
                '<form method="post"><input name="citizen_id"><input name="password" '
                'type="password"><input name="otp"><button type="submit">Sign in</button></form>'
                '<form method="post" action="/cancel"><button name="cancel">Cancel</button></form>'
            )
            if request.method == "GET":
                return stub._page("Sign in", 200, form)
            citizen = stub.citizens.get(request.form.get("citizen_id", ""))
            if (
                citizen is None
                or request.form.get("password") != citizen[1]
                or not pyotp.TOTP(citizen[2]).verify(request.form.get("otp", ""), valid_window=1)
            ):
                return stub._page("Wrong details", 401, form)
            sid = secrets.token_urlsafe(16)
            stub.sessions[sid] = (citizen[0], secrets.token_urlsafe(16))
            response = stub._continue(tx, citizen[0])
            response.set_cookie("stub_sid", sid, httponly=True)
            return response

        @app.route("/consent/<tx>", methods=["GET", "POST"])
        def consent(tx: str) -> Response:
            signed_in = stub._signed_in()
            if tx not in stub.transactions or signed_in is None:
                return stub._page("Expired", 400)
            form = (
                '<form method="post">'
                f'<input type="hidden" name="csrf_token" value="{signed_in[1]}">'
                '<button name="decision" value="allow">Allow</button>'
                '<button name="decision" value="deny">Deny</button></form>'
            )
            if request.method == "GET":
                return stub._page("Share your data?", 200, form)
            if request.form.get("csrf_token") != signed_in[1] and not stub.does(
                "consent_without_csrf"
            ):
                return stub._page("The CSRF token is missing", 400)
            if request.form.get("decision") != "allow":
                return stub._error(stub.transactions.pop(tx), "access_denied")
            stub.consents.add((signed_in[0], stub.transactions[tx]["client_id"]))
            return stub._issue_code(tx, signed_in[0])

        @app.get("/done")
        def done() -> Response:
            pending = stub.transactions.pop(f"done-{request.args.get('code')}", None)
            if pending is None:
                return stub._page("Expired", 400)
            return redirect(pending["location"])

        @app.post("/token")
        def token() -> Response | tuple[Response, int]:
            client = stub._client()
            if client is None:
                return jsonify(error="invalid_client"), 401
            if stub.does("reject_everything"):
                return jsonify(error="invalid_grant"), 400
            form = request.form
            if form.get("grant_type") == "refresh_token":
                return refresh(client, form.get("refresh_token", ""))
            grant = stub.codes.get(form.get("code", ""))
            if grant is None:
                return jsonify(error="invalid_grant"), 400
            if grant.client_id != client.client_id and not stub.does("code_any_client"):
                return jsonify(error="invalid_grant"), 400
            if grant.used and not stub.does("accept_replayed_code"):
                if not stub.does("keep_tokens_on_replay"):
                    stub.revoked_families.add(grant.family)
                return jsonify(error="invalid_grant"), 400
            if form.get("redirect_uri") != grant.redirect_uri:
                return jsonify(error="invalid_grant"), 400
            grant.used = True
            if grant.challenge:
                verifier = form.get("code_verifier")
                if not verifier:
                    if not stub.does("verifier_optional"):
                        return jsonify(error="invalid_request"), 400
                elif _transform(verifier, grant.method) != grant.challenge and not stub.does(
                    "ignore_verifier"
                ):
                    return jsonify(error="invalid_grant"), 400
            access_token = grant.preissued or stub._access_token(grant)
            body = {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 600,
                "scope": grant.scope,
                "id_token": stub._id_token(grant, access_token),
            }
            if "offline_access" in grant.scope.split():
                body["refresh_token"] = stub._refresh_token(grant)
            return jsonify(body)

        def refresh(client: Client, presented: str) -> Response | tuple[Response, int]:
            grant = stub.refresh_tokens.get(presented)
            if grant is None or grant.client_id != client.client_id:
                return jsonify(error="invalid_grant"), 400
            if grant.family in stub.revoked_families:
                return jsonify(error="invalid_grant"), 400
            if grant.used:
                if not stub.does("reuse_keeps_family"):
                    stub.revoked_families.add(grant.family)
                return jsonify(error="invalid_grant"), 400
            access_token = stub._access_token(grant)
            if stub.does("no_rotation"):
                next_token = presented
            else:
                grant.used = True
                next_token = stub._refresh_token(grant)
            return jsonify(
                access_token=access_token,
                token_type="Bearer",
                expires_in=600,
                refresh_token=next_token,
                scope=grant.scope,
            )

        @app.get("/userinfo")
        def userinfo() -> Response | tuple[Response, int]:
            scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
            family = stub.access_tokens.get(presented) if scheme == "Bearer" else None
            if family is not None and family not in stub.revoked_families:
                claims = jwt.decode(presented, stub.key).claims
                return jsonify(sub=claims["sub"], name="Nguyễn Văn An")
            if stub.does("accept_any_jwt") and presented.count(".") == 2:
                return jsonify(sub="whoever", name="Forged")
            response = jsonify(error="invalid_token")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response, 401

        @app.get("/logout")
        def logout() -> Response:
            target = request.args.get("post_logout_redirect_uri")
            client = stub.clients.get(request.args.get("client_id", ""))
            if target is None:
                return stub._page("Signed out", 200)
            if stub.does("open_logout_redirect") or (
                client is not None and target in client.post_logout_redirect_uris
            ):
                return redirect(stub._with_params(target, state=request.args.get("state")))
            return stub._page("post_logout_redirect_uri is not registered", 400)

        return app


def _transform(verifier: str, method: str | None) -> str:
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def settings_for(
    stub: StubProvider, *, second_client: bool = True, second_citizen: bool = True
) -> LabSettings:
    """The lab's settings for this stub: its two clients and two citizens."""
    return LabSettings(
        issuer=stub.issuer,
        client=LabClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SCOPE, "portal"),
        citizen=citizen(*CITIZEN, "citizen"),
        second_client=(
            LabClient(
                SECOND_CLIENT_ID,
                SECOND_CLIENT_SECRET,
                SECOND_REDIRECT_URI,
                SECOND_SCOPE,
                "second client",
            )
            if second_client
            else None
        ),
        second_citizen=citizen(*SECOND_CITIZEN, "second citizen") if second_citizen else None,
        timeout=5,
        max_otp_wait=0,
    )


def portal_environ_for(stub: StubProvider, instance_path: str) -> dict[str, str]:
    """``RP_*`` and ``LAB_*`` variables for a portal whose lab plays against this stub."""
    return {
        "RP_ISSUER": stub.issuer,
        "RP_CLIENT_ID": CLIENT_ID,
        "RP_CLIENT_SECRET": CLIENT_SECRET,
        "RP_BASE_URL": "http://127.0.0.1:5001",
        "RP_SECRET_KEY": "lab-test-secret-key-0123456789abcdef",
        "RP_SCOPE": SCOPE,
        "RP_INSTANCE_PATH": instance_path,
        "LAB_CITIZEN_ID": CITIZEN[0],
        "LAB_PASSWORD": CITIZEN[1],
        "LAB_TOTP_SECRET": CITIZEN[2],
        "LAB_SECOND_CITIZEN_ID": SECOND_CITIZEN[0],
        "LAB_SECOND_PASSWORD": SECOND_CITIZEN[1],
        "LAB_SECOND_TOTP_SECRET": SECOND_CITIZEN[2],
        "LAB_SECOND_CLIENT_ID": SECOND_CLIENT_ID,
        "LAB_SECOND_CLIENT_SECRET": SECOND_CLIENT_SECRET,
        "LAB_SECOND_REDIRECT_URI": SECOND_REDIRECT_URI,
        "LAB_SECOND_SCOPE": SECOND_SCOPE,
    }
