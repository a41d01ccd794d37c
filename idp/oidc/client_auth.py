"""Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3,
OIDC Core §9): a client authenticates with the one method it registered, and with one method
per request.

``private_key_jwt`` (RFC 7523 §2.2 and §3): the client signs a short-lived JWT with a key whose
public half it registered, inline (``jwks``) or by URL (``jwks_uri``, fetched and cached per
process, fetched again when an assertion names a ``kid`` the cached set lacks). Each assertion's
``jti`` is recorded until the assertion expires, so it is accepted once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.authenticate_client import (
    authenticate_client_secret_basic,
    authenticate_client_secret_post,
    authenticate_none,
)
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import GuestProtocol, Key, KeyFlexible, KeySet
from sqlalchemy.exc import IntegrityError

from idp import clock
from idp.extensions import db
from idp.models import Client, ClientAssertion
from idp.oidc.clients import OAuthClient, public_key_set

log = logging.getLogger(__name__)

#: Algorithms a client may sign its assertions with: asymmetric only (``none`` and ``HS*``
#: would make the registered public keys pointless).
ASSERTION_ALGS = ("ES256", "PS256", "RS256")
#: An assertion is a one-time credential made for one request, so it may not live longer.
MAX_ASSERTION_LIFETIME = 300
#: Seconds of clock difference allowed between a client and us.
LEEWAY = 30
JWKS_CACHE_SECONDS = 300
#: An unknown ``kid`` fetches a client's JWKS again at most this often, so that anyone sending
#: made-up ``kid``s cannot make us hammer the portal's server.
JWKS_REFETCH_SECONDS = 10
JWKS_TIMEOUT_SECONDS = 5
JWKS_MAX_BYTES = 65536

CREDENTIAL_PARAMETERS = ("client_id", "client_secret", "client_assertion", "client_assertion_type")


class ClientAuthenticationError(OAuth2Error):
    """RFC 6749 §5.2 ``invalid_client``, always with 401 and a ``Basic`` challenge: §5.2
    requires them when the client tried the ``Authorization`` header, and a 401 always carries a
    challenge (RFC 9110 §15.5.2), Basic being the one HTTP scheme these endpoints accept."""

    error = "invalid_client"
    status_code = 401

    def get_headers(self) -> list[tuple[str, str]]:
        realm = current_app.config["ISSUER"]
        return [*super().get_headers(), ("WWW-Authenticate", f'Basic realm="{realm}"')]


def presented_method(request: OAuth2Request) -> str:
    """The authentication method the request uses ("none" when it presents no credential)."""
    form = request.form
    # RFC 6749 §3.2: a parameter MUST NOT be repeated.
    repeated = [name for name in CREDENTIAL_PARAMETERS if len(form.getlist(name)) > 1]
    if repeated:
        raise InvalidRequestError(f"Repeated parameter(s): {', '.join(repeated)}.")
    presented = []
    if request.headers.get("Authorization", "").lower().startswith("basic "):
        presented.append("client_secret_basic")
    if "client_secret" in form:
        presented.append("client_secret_post")
    if "client_assertion" in form or "client_assertion_type" in form:
        presented.append("private_key_jwt")
    if len(presented) > 1:
        # RFC 6749 §2.3: the client MUST NOT use more than one authentication method per request.
        raise InvalidRequestError(
            f"Use one client authentication method per request, not {' and '.join(presented)}."
        )
    return presented[0] if presented else "none"


def authenticate(
    query_client: Callable[[str], OAuthClient | None],
    request: OAuth2Request,
    methods: Sequence[str],
    endpoint: str,
) -> OAuthClient:
    """The client that the request authenticates, by the method it registered and one of
    ``methods`` (those the endpoint accepts); ClientAuthenticationError otherwise."""
    method = presented_method(request)
    if method not in methods:
        raise ClientAuthenticationError(f"This endpoint does not accept {method}.")
    try:
        client = AUTHENTICATORS[method](query_client, request)
    except InvalidClientError as error:
        raise ClientAuthenticationError(error.description) from None
    if client is None:
        if method == "none":
            raise ClientAuthenticationError("The request names no client and has no credentials.")
        raise ClientAuthenticationError(f"Client authentication by {method} failed.")
    if not client.check_endpoint_auth_method(method, endpoint):
        raise ClientAuthenticationError(f"The client is not registered for {method}.")
    named = request.form.get("client_id")
    if named is not None and named != client.get_client_id():
        # RFC 7521 §4.2: a client_id beside the credentials must name the same client.
        raise ClientAuthenticationError("'client_id' names another client than the credentials.")
    request.auth_method = method
    return client


class PrivateKeyJwt(JWTBearerClientAssertion):
    """``private_key_jwt``: Authlib's RFC 7523 client assertion, checked with our clock, our
    algorithms, a bounded lifetime, the client's registered keys and a database of ``jti``s."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self) -> None:
        super().__init__(leeway=LEEWAY)

    def get_audiences(self) -> list[str]:
        # RFC 7523 §3 item 3: the issuer identifies us; OIDC Core §9 names the token endpoint.
        issuer = current_app.config["ISSUER"]
        return [issuer, f"{issuer}/token"]

    def resolve_client_public_key(self, client: OAuthClient) -> Callable[[GuestProtocol], Key]:
        return lambda token: client_key(client.row, token.headers())

    def process_assertion_claims(self, assertion: str, resolve_key: KeyFlexible) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGS)
        except JoseError as error:
            raise InvalidClientError(
                description=f"The client assertion does not verify ({error.error})."
            ) from None
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: dict[str, Any]) -> None:
        now = int(clock.now().timestamp())
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "values": self.get_audiences()},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise InvalidClientError(
                description=f"The client assertion is refused: {error.description}."
            ) from None
        # RFC 7523 §3 items 1 and 2, OIDC Core §9: iss and sub are both the client_id.
        if claims["iss"] != claims["sub"]:
            raise InvalidClientError(description="The assertion's 'iss' must equal its 'sub'.")
        if claims["exp"] > now + MAX_ASSERTION_LIFETIME + LEEWAY:
            raise InvalidClientError(
                description=f"The assertion's 'exp' is more than {MAX_ASSERTION_LIFETIME} "
                "seconds ahead."
            )
        if len(claims["jti"]) > 255:
            raise InvalidClientError(description="The assertion's 'jti' is too long.")
        if not self.validate_jti(claims, claims["jti"]):
            # RFC 7523 §3 item 7: an assertion's jti is accepted once.
            raise InvalidClientError(description="The client assertion was used before (jti).")

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        """Record ``jti`` until the assertion expires; False when it was recorded before. The
        unique constraint decides between concurrent uses."""
        db.session.add(
            ClientAssertion(
                client_id=claims["sub"],
                jti=jti,
                expires_at=datetime.fromtimestamp(claims["exp"] + LEEWAY, UTC),
            )
        )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return False
        return True


AUTHENTICATORS: dict[str, Callable[[Any, OAuth2Request], OAuthClient | None]] = {
    "client_secret_basic": authenticate_client_secret_basic,
    "client_secret_post": authenticate_client_secret_post,
    "private_key_jwt": PrivateKeyJwt(),
    "none": authenticate_none,
}


def client_key(client: Client, header: Mapping[str, Any]) -> Key:
    """The client's public key that an assertion with this JOSE header names."""
    kid = header.get("kid")
    parameters = {"alg": header["alg"], "use": "sig"}
    if client.jwks is not None:
        return public_key_set(client.jwks).get_by_kid(kid, parameters)  # type: ignore[arg-type]
    if client.jwks_uri is None:
        raise InvalidClientError(description="The client has registered no keys.")
    now = clock.now()
    fetched = _fetched.get(client.jwks_uri)
    if fetched is None or now - fetched.at >= timedelta(seconds=JWKS_CACHE_SECONDS):
        fetched = _fetch(client.jwks_uri, now)
    try:
        return fetched.keys.get_by_kid(kid, parameters)  # type: ignore[arg-type]
    except InvalidKeyIdError:
        # The client may have rotated its keys since we fetched them.
        if now - fetched.at < timedelta(seconds=JWKS_REFETCH_SECONDS):
            raise
    return _fetch(client.jwks_uri, now).keys.get_by_kid(kid, parameters)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class _Fetched:
    keys: KeySet
    at: datetime


_fetched: dict[str, _Fetched] = {}


def _fetch(uri: str, now: datetime) -> _Fetched:
    """GET a client's JWKS: 5 s timeout, no redirects (the registered URL was checked, a
    redirect target was not), a bounded size, public keys only."""
    try:
        with requests.get(
            uri,
            timeout=JWKS_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
            headers={"Accept": "application/json"},
        ) as response:
            if response.status_code != 200:
                raise ValueError(f"HTTP status {response.status_code}")
            body = response.raw.read(JWKS_MAX_BYTES + 1, decode_content=True)
        if len(body) > JWKS_MAX_BYTES:
            raise ValueError(f"larger than {JWKS_MAX_BYTES} bytes")
        keys = public_key_set(json.loads(body))
    except (requests.RequestException, ValueError) as error:
        log.warning("the JWKS at %s cannot be used: %s", uri, error)
        raise InvalidClientError(
            description="The client's jwks_uri could not be fetched or holds no usable keys."
        ) from None
    fetched = _Fetched(keys, now)
    _fetched[uri] = fetched
    return fetched
