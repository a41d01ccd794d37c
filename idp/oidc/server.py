"""Authlib's authorization server, wired to our storage and hardened where it falls short.

Authlib gives the grant machinery, client authentication and error types. We add: PKCE with
S256 only and required from every client; ``redirect_uri`` always required and matched exactly;
scopes refused (not silently narrowed) beyond the registration; codes consumed atomically, with a
replay revoking what the code produced; ID tokens signed with our keys and the injectable clock.
Registered here from their own modules: client authentication (``client_auth``), JWT access and
refresh tokens (``tokens``), the refresh grant (``refresh``), introspection and revocation
(``token_endpoints``).
"""

from __future__ import annotations

import base64
import hmac
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge, create_s256_code_challenge
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError
from authlib.oidc.core.grants import OpenIDCode, OpenIDToken
from flask import Flask, Response, abort, current_app
from flask import request as flask_request
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from idp import clock
from idp.audit.events import Event
from idp.consent.catalogue import SCOPES, claims_for
from idp.consent.releases import record_release
from idp.extensions import db
from idp.keys.store import active_key, signing_key_set
from idp.models import Account, AuthorizationCode, BrowserSession, Token
from idp.oidc.client_auth import authenticate
from idp.oidc.clients import AUTH_METHODS, OAuthClient, find_client
from idp.oidc.refresh import IssuedRefreshToken, RefreshGrant
from idp.oidc.subject import subject_for
from idp.oidc.token_endpoints import Introspection, Revocation
from idp.oidc.tokens import (
    OFFLINE_ACCESS,
    commit_keeping_loaded,
    digest,
    find_access_token,
    issue_for_code,
    revoke_family,
)
from idp.population.registry import project_claims


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """Authlib's AuthorizationCodeMixin over a consumed :class:`AuthorizationCode` row."""

    row: AuthorizationCode

    @property
    def code_challenge(self) -> str | None:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return self.row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return self.row.amr

    def get_sid(self) -> str | None:
        return self.row.sid


class Server(AuthorizationServer):
    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return FlaskOAuth2Request(flask_request)

    def authenticate_client(
        self, request: OAuth2Request, methods: list[str], endpoint: str = "token"
    ) -> OAuthClient:
        """The registered method only, one per request, ``private_key_jwt`` among them
        (``client_auth``)."""
        return authenticate(self.query_client, request, methods, endpoint)

    def get_authorization_grant(self, request: OAuth2Request) -> Any:
        """The code grant. Any other response type is refused here, not by Authlib, whose error
        quotes the request's value and cannot be built when that value holds a character an
        error_description must not (RFC 6749 §4.1.2.1)."""
        response_type = request.payload.response_type
        if response_type not in CodeGrant.RESPONSE_TYPES:
            redirect_uri = self._verified_redirect_uri(request)
            if not response_type:
                # RFC 6749 §4.1.2.1: a required parameter is missing.
                raise InvalidRequestError(
                    "The 'response_type' parameter is required.", redirect_uri=redirect_uri
                )
            raise OAuth2Error(
                "Only the 'code' response type is supported.",
                error="unsupported_response_type",
                redirect_uri=redirect_uri,
            )
        return super().get_authorization_grant(request)

    def _verified_redirect_uri(self, request: OAuth2Request) -> str | None:
        """The request's redirect URI when its client exists and registered it: the only place
        an error may be sent (RFC 6749 §4.1.2.1)."""
        client_id = request.payload.client_id
        client = self.query_client(client_id) if client_id else None
        uri = request.payload.redirect_uri
        return str(uri) if client is not None and uri and client.check_redirect_uri(uri) else None


def stored_request(params: dict[str, str]) -> OAuth2Request:
    """Rebuild an authorization request from the parameters a transaction kept."""
    request = OAuth2Request("GET", current_app.config["ISSUER"] + "/authorize")
    request.payload = BasicOAuth2Payload(params)
    return request


class OrderedHooks(dict[Any, None]):
    """Authlib keeps a grant's hooks in a set, so they would run in a different order in each
    process; kept in registration order, a request with several faults always gets the same
    error (PKCE, then scope, then nonce)."""

    def add(self, hook: Any) -> None:
        self[hook] = None


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)

    def __init__(self, request: OAuth2Request, server: Any) -> None:
        super().__init__(request, server)
        self._hooks: defaultdict[str, OrderedHooks] = defaultdict(OrderedHooks)

    @staticmethod
    def validate_authorization_redirect_uri(request: OAuth2Request, client: OAuthClient) -> str:
        uri = request.payload.redirect_uri
        # RFC 9700 §2.1: redirect_uri is required; §4.1.3: compared by exact string match.
        if not uri:
            raise InvalidRequestError("The 'redirect_uri' parameter is required.")
        if not client.check_redirect_uri(uri):
            raise InvalidRequestError("The 'redirect_uri' is not registered for this client.")
        # OIDC Core §6.1-6.2: any parameter may travel inside a request object, so a provider
        # without them cannot judge the others (PKCE, nonce, scope…); it answers with these
        # codes (§3.1.2.6) as soon as the answer may go to the portal.
        if "request" in request.payload.data:
            raise RequestNotSupportedError(redirect_uri=uri)
        if "request_uri" in request.payload.data:
            raise RequestURINotSupportedError(redirect_uri=uri)
        return str(uri)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        session: BrowserSession = request.browser_session  # set by the resume step
        data = request.payload.data
        now = clock.now()
        db.session.add(
            AuthorizationCode(
                code_hash=digest(code),
                client_id=request.client.get_client_id(),
                account_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                auth_time=session.auth_time,
                acr=session.acr,
                amr=session.amr,
                sid=session.sid,
                id_token_claims=getattr(request, "id_token_claims", None) or None,
                created_at=now,
                expires_at=now + timedelta(seconds=current_app.config["CODE_LIFETIME"]),
            )
        )
        db.session.commit()

    def query_authorization_code(self, code: str, client: OAuthClient) -> IssuedCode | None:
        """Consume the code in one conditional UPDATE, so of two concurrent redemptions exactly
        one wins (RFC 6749 §4.1.2: a code is used once)."""
        now = clock.now()
        code_hash = digest(code)
        consumed = db.session.execute(
            update(AuthorizationCode)
            .where(
                AuthorizationCode.code_hash == code_hash,
                AuthorizationCode.client_id == client.get_client_id(),
                AuthorizationCode.consumed_at.is_(None),
                AuthorizationCode.expires_at > now,
            )
            .values(consumed_at=now)
            .returning(AuthorizationCode.id)
        ).scalar()
        commit_keeping_loaded()
        if consumed is None:
            _revoke_if_replayed(code_hash, client.get_client_id(), now)
            return None
        row = db.session.get(AuthorizationCode, consumed)
        assert row is not None
        return IssuedCode(row)

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        """Nothing to delete: the code was consumed when it was looked up."""

    def authenticate_user(self, authorization_code: IssuedCode) -> Account | None:
        return db.session.get(Account, authorization_code.row.account_id)

    def generate_token(
        self,
        user: Account | None = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """A JWT access token; a refresh token only when the grant includes offline_access
        (OIDC Core §11) and the client may use it (Authlib's ``include_refresh_token``)."""
        assert user is not None
        assert scope is not None
        code: IssuedCode = self.request.authorization_code
        offline = include_refresh_token and OFFLINE_ACCESS in scope.split()
        return issue_for_code(code.row, user, self.request.client.row, offline=offline)

    def save_token(self, token: dict[str, Any]) -> None:
        """Commit the tokens ``generate_token`` added."""
        commit_keeping_loaded()


def _revoke_if_replayed(code_hash: str, client_id: str, now: datetime) -> None:
    # RFC 6749 §4.1.2: a code used twice is refused and the tokens it produced are revoked.
    replayed = db.session.scalar(
        select(AuthorizationCode.id).where(
            AuthorizationCode.code_hash == code_hash,
            AuthorizationCode.client_id == client_id,
            AuthorizationCode.consumed_at.is_not(None),
        )
    )
    if replayed is not None:
        revoke_family(replayed)


class S256CodeChallenge(CodeChallenge):
    """PKCE (RFC 7636) with S256 only, required of every client (RFC 9700 §2.1.1) except a
    confidential one registered without it, which must then send a nonce instead."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    CODE_CHALLENGE_METHODS: ClassVar[dict[str, Callable[[str, str], bool]]] = {
        "S256": lambda verifier, challenge: hmac.compare_digest(
            create_s256_code_challenge(verifier), challenge
        )
    }

    def validate_code_challenge(self, grant: CodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") and not data.get("code_challenge_method"):
            if grant.client.row.require_pkce:
                raise InvalidRequestError("PKCE is required: send 'code_challenge' (S256).")
            if not data.get("nonce"):
                raise InvalidRequestError("Without PKCE, a 'nonce' is required.")
            return
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256; 'plain' is refused.")
        super().validate_code_challenge(grant, redirect_uri)


class RegisteredScopes:
    """Refuse, rather than narrow, a request for scopes the portal is not registered for."""

    def __call__(self, grant: CodeGrant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.check)

    @staticmethod
    def check(grant: CodeGrant, redirect_uri: str) -> None:
        requested = (grant.request.payload.scope or "").split()
        granted = set(grant.request.scope.split())
        if "openid" not in requested:
            raise InvalidScopeError("The 'openid' scope is required.")
        # OIDC Core §3.1.2.1: scope values the server does not know are ignored.
        refused = [s for s in requested if s in SCOPES and s not in granted]
        if refused:
            raise InvalidScopeError(
                f"The client is not registered for scope(s): {' '.join(refused)}."
            )


class IdToken(OpenIDCode):
    """OIDC Core §2 ID token: iss sub aud exp iat auth_time nonce acr amr azp, signed with our
    key for the client's registered algorithm."""

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return (
            db.session.scalar(
                select(AuthorizationCode.id).where(
                    AuthorizationCode.client_id == request.payload.client_id,
                    AuthorizationCode.nonce == nonce,
                )
            )
            is not None
        )

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return client.id_token_signed_response_alg

    def get_encode_header(self, client: OAuthClient) -> dict[str, str]:
        alg = self.get_client_algorithm(client)
        kid, _ = active_key(alg)
        return {"alg": alg, "kid": kid, "typ": "JWT"}

    def resolve_client_private_key(self, client: OAuthClient) -> KeySet:
        return signing_key_set(self.get_client_algorithm(client))

    def get_client_claims(self, client: OAuthClient) -> dict[str, Any]:
        now = int(clock.now().timestamp())
        return {
            "iss": current_app.config["ISSUER"],
            "aud": client.get_client_id(),
            "azp": client.get_client_id(),
            "iat": now,
            "exp": now + current_app.config["ID_TOKEN_LIFETIME"],
        }

    def get_compatible_claims(self, request: OAuth2Request) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_compatible_claims(request)
        claims["sub"] = subject_for(
            request.user, request.client.row, salt=current_app.config["SUBJECT_SALT"]
        )
        code: IssuedCode | None = request.authorization_code
        if code is not None:
            if code.row.sid:
                claims["sid"] = code.row.sid  # OIDC Back-Channel Logout §2.1
            # OIDC Core §5.5: claims asked for in the ID token, within the granted scopes.
            asked = frozenset(code.row.id_token_claims or ()) & claims_for(code.row.scope.split())
            claims.update(project_claims(request.user.citizen, asked))
        return claims

    def generate_user_info(self, user: Account, scope: str) -> dict[str, str]:
        """Nothing beyond ``sub`` unless asked by name: scope claims are released by userinfo
        (OIDC Core §5.4), so the ID token, which travels further, says who and how, not what."""
        return {}

    def process_token(self, grant: Any, response: Any) -> dict[str, Any]:
        """Add the ID token, and record the release: the names of the citizen's claims it
        carries, and references (digest, ``jti``) by which the portal's tokens can be matched."""
        token: dict[str, Any] = super().process_token(grant, response)
        if "id_token" in token:
            record_release(
                Event.CLAIMS_RELEASE_TOKEN,
                account=grant.request.user,
                client=grant.request.client.row,
                claims=_payload(token["id_token"]).keys() & claims_for(SCOPES),
                scopes=token["scope"].split(),
                grant=grant.GRANT_TYPE,
                id_token=digest(token["id_token"]),
                access_token_jti=_payload(token["access_token"])["jti"],
            )
        return token


def _payload(compact_jwt: str) -> dict[str, Any]:
    """The claims of a JWT this server has just signed (so not verified again)."""
    segment = compact_jwt.split(".")[1]
    padded = segment + "=" * (-len(segment) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return claims


class RefreshedIdToken(IdToken):
    """The ID token of a refresh (OIDC Core §12.2): same iss, sub, aud and azp as the first; the
    auth_time, acr and amr of the original sign-in (and its sid), not of the refresh; no nonce.
    Claims asked for by name with the ``claims`` parameter are not repeated."""

    def __call__(self, grant: RefreshGrant) -> None:
        OpenIDToken.__call__(self, grant)

    def get_compatible_claims(self, request: OAuth2Request) -> dict[str, Any]:
        claims = super().get_compatible_claims(request)
        refresh_token: IssuedRefreshToken = request.refresh_token
        row = refresh_token.row
        claims.update(auth_time=int(row.auth_time.timestamp()), acr=row.acr, amr=row.amr)
        if row.sid:
            claims["sid"] = row.sid  # OIDC Back-Channel Logout §2.1
        return claims


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """Authlib's TokenMixin over a :class:`Token` row."""

    row: Token

    def is_expired(self) -> bool:
        return self.row.expires_at <= clock.now()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None

    def get_scope(self) -> str:
        return self.row.scope


class AccessTokens(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> IssuedToken | None:
        """By the token's digest, not its signature: a revoked token stops at once."""
        row = find_access_token(token_string)
        return IssuedToken(row) if row else None


def _query_client(client_id: str) -> OAuthClient | None:
    client = find_client(client_id)
    return OAuthClient(client) if client else None


class BearerProtector(ResourceProtector):
    def raise_error_response(self, error: OAuth2Error) -> None:
        """RFC 6750 §3: challenge with the ``Bearer`` scheme; a request that carried no token
        gets no error code (§3.1), any other failure the RFC's code."""
        if error.error == "missing_authorization":
            challenge, body = "Bearer", {"error": "invalid_request"}
        else:
            body = dict(error.get_body())
            challenge = f'Bearer error="{error.error}"'
        response = Response(
            json.dumps(body),
            status=error.status_code,
            mimetype="application/json",
            headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
        )
        abort(response)


server = Server()
require_token = BearerProtector()


def init_app(app: Flask) -> None:
    """Tokens are made and stored by the grants (``generate_token``), so the server needs no
    ``save_token``."""
    server.init_app(app, query_client=_query_client)
    if not server._authorization_grants:
        server.register_grant(CodeGrant, [S256CodeChallenge(), RegisteredScopes(), IdToken()])
        server.register_grant(RefreshGrant, [RefreshedIdToken()])
        server.register_endpoint(Introspection)
        server.register_endpoint(Revocation)
        require_token.register_token_validator(AccessTokens())
