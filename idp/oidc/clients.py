"""Registration of portals (clients) and the adapter Authlib's grants talk to."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp import clock
from idp.consent.catalogue import SCOPES
from idp.consent.purposes import LEGAL_BASES, NO_DATA, Purpose
from idp.extensions import db
from idp.keys.store import SUPPORTED_ALGS
from idp.models import Client
from idp.oidc.logos import LogoError, media_type_of

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")


# OIDC Core §8: pairwise subjects by default, public for portals registered so.
SUBJECT_TYPES = ("pairwise", "public")


class RegistrationError(ValueError):
    """A client registration is invalid; the message names the field."""


@dataclass(frozen=True, slots=True)
class Registration:
    client: Client
    client_secret: str | None


def _secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_redirect_uri(uri: str, field: str) -> None:
    parts = urlsplit(uri)
    # RFC 9700 §2.1 / OIDC Registration §2: absolute URIs without fragment, https except on
    # loopback during development.
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise RegistrationError(f"{field}: {uri!r} is not an absolute http(s) URL")
    # RFC 6749 §3.1.2: no fragment component, an empty one ("…/cb#") included.
    if parts.fragment or "#" in uri:
        raise RegistrationError(f"{field}: {uri!r} must not contain a fragment")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        raise RegistrationError(f"{field}: {uri!r} must use https (http only for loopback)")


def public_key_set(data: object) -> KeySet:
    """A JWK Set (RFC 7517 §5) of public keys; ValueError when ``data`` is not one, or holds a
    private or a symmetric key (a portal's keys are published, so they must be public)."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWK Set (an object with a 'keys' list)")
    try:
        keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ValueError(f"not a valid JWK Set ({error})") from None
    for key in keys:
        if key.key_type == "oct" or key.is_private:
            raise ValueError(f"key {key.kid!r} is private; give the public keys only")
    return keys


def _check_client_keys(auth_method: str, jwks: dict[str, Any] | None, jwks_uri: str | None) -> None:
    if jwks is not None and jwks_uri is not None:
        # OIDC Registration §2: jwks and jwks_uri MUST NOT both be present.
        raise RegistrationError("jwks: give jwks or jwks_uri, not both")
    if auth_method == "private_key_jwt" and jwks is None and jwks_uri is None:
        raise RegistrationError("jwks: private_key_jwt needs the client's jwks or jwks_uri")
    if jwks is not None:
        try:
            public_key_set(jwks)
        except ValueError as error:
            raise RegistrationError(f"jwks: {error}") from None
    if jwks_uri is not None:
        _check_redirect_uri(jwks_uri, "jwks_uri")
        if urlsplit(jwks_uri).scheme == "http" and current_app.config["ENV"] != "development":
            raise RegistrationError(f"jwks_uri: {jwks_uri!r} must use https in production")


def _check_purposes(
    scopes: list[str], purposes: Mapping[str, Purpose], essential: list[str]
) -> None:
    """Decree 13/2023/ND-CP Art. 3: data is processed only for a declared purpose, so every
    scope that releases data is registered with one, and a legal basis we know."""
    missing = [s for s in scopes if s not in NO_DATA and not purposes.get(s, Purpose("")).text]
    if missing:
        raise RegistrationError(f"purpose: declare the purpose of scope(s) {', '.join(missing)}")
    stray = [s for s in [*purposes, *essential] if s not in scopes]
    if stray:
        raise RegistrationError(f"purpose: scope(s) {', '.join(stray)} are not registered")
    unknown = [p.legal_basis for p in purposes.values() if p.legal_basis not in LEGAL_BASES]
    if unknown:
        raise RegistrationError(
            f"legal_basis: {', '.join(unknown)} is not one of {', '.join(LEGAL_BASES)}"
        )


def register_client(
    *,
    name: str,
    redirect_uris: list[str],
    scope: str,
    auth_method: str = "client_secret_basic",
    jwks: dict[str, Any] | None = None,
    jwks_uri: str | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    backchannel_logout_uri: str | None = None,
    sector: str | None = None,
    subject_type: str = "pairwise",
    id_token_alg: str = "ES256",  # noqa: S107 (an algorithm name, not a secret)
    require_pkce: bool = True,
    organisation: str = "",
    purposes: Mapping[str, Purpose] | None = None,
    essential_scopes: list[str] | None = None,
    logo: bytes | None = None,
) -> Registration:
    if not name.strip():
        raise RegistrationError("name: must not be empty")
    if not redirect_uris:
        raise RegistrationError("redirect_uri: at least one is required")
    for uri in redirect_uris:
        _check_redirect_uri(uri, "redirect_uri")
    for uri in post_logout_redirect_uris or []:
        _check_redirect_uri(uri, "post_logout_redirect_uri")
    if backchannel_logout_uri:
        _check_redirect_uri(backchannel_logout_uri, "backchannel_logout_uri")
    scopes = scope.split()
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise RegistrationError(f"scope: unknown scope(s) {', '.join(unknown)}")
    if "openid" not in scopes:
        raise RegistrationError("scope: must include openid")
    purposes = dict(purposes or {})
    _check_purposes(scopes, purposes, essential_scopes or [])
    if auth_method not in AUTH_METHODS:
        raise RegistrationError(f"auth_method: must be one of {', '.join(AUTH_METHODS)}")
    _check_client_keys(auth_method, jwks, jwks_uri)
    if subject_type not in SUBJECT_TYPES:
        raise RegistrationError("subject_type: must be pairwise or public")
    if not require_pkce and auth_method == "none":
        # RFC 9700 §2.1.1: only a confidential client may rely on nonce instead of PKCE.
        raise RegistrationError("require_pkce: a public client must use PKCE")
    if id_token_alg not in SUPPORTED_ALGS:
        raise RegistrationError(f"id_token_alg: must be one of {', '.join(SUPPORTED_ALGS)}")
    try:
        logo_type = None if logo is None else media_type_of(logo)
    except LogoError as error:
        raise RegistrationError(str(error)) from None
    hosts = {urlsplit(uri).hostname for uri in redirect_uris}
    if sector is None:
        if len(hosts) > 1:
            raise RegistrationError("sector: redirect URIs span several hosts; name the sector")
        sector = hosts.pop() or ""

    secret = secrets.token_urlsafe(32) if auth_method.startswith("client_secret") else None
    client = Client(
        client_id=_new_client_id(),
        client_secret_hash=_secret_digest(secret) if secret else None,
        name=name.strip(),
        redirect_uris=redirect_uris,
        scope=" ".join(dict.fromkeys(scopes)),
        token_endpoint_auth_method=auth_method,
        jwks=jwks,
        jwks_uri=jwks_uri,
        post_logout_redirect_uris=post_logout_redirect_uris or [],
        backchannel_logout_uri=backchannel_logout_uri,
        sector=sector,
        subject_type=subject_type,
        id_token_signed_response_alg=id_token_alg,
        require_pkce=require_pkce,
        organisation=organisation.strip() or name.strip(),
        purposes={scope: purpose.as_json() for scope, purpose in purposes.items()},
        essential_scopes=sorted(set(essential_scopes or [])),
        created_at=clock.now(),
        logo=logo,
        logo_type=logo_type,
    )
    db.session.add(client)
    db.session.commit()
    return Registration(client, secret)


def _new_client_id() -> str:
    """144 random bits, never starting with ``-``, which a command line (``idp clients show
    ID``) would read as an option."""
    while (client_id := secrets.token_urlsafe(18)).startswith("-"):
        pass
    return client_id


def find_client(client_id: str) -> Client | None:
    return db.session.scalar(select(Client).where(Client.client_id == client_id))


def list_clients() -> list[Client]:
    return list(db.session.scalars(select(Client).order_by(Client.created_at)))


def describe(client: Client) -> dict[str, object]:
    """A client's registration as data, without any secret."""
    return {
        "client_id": client.client_id,
        "name": client.name,
        "redirect_uris": client.redirect_uris,
        "scope": client.scope,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "jwks": client.jwks,
        "jwks_uri": client.jwks_uri,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "sector": client.sector,
        "subject_type": client.subject_type,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "require_pkce": client.require_pkce,
        "organisation": client.organisation,
        "purposes": client.purposes,
        "essential_scopes": client.essential_scopes,
        "logo": client.logo_type,
        "created_at": client.created_at.isoformat(),
    }


class OAuthClient:
    """Authlib's ClientMixin over a :class:`Client` row."""

    def __init__(self, client: Client) -> None:
        self.row = client
        self.client_id = client.client_id
        self.id_token_signed_response_alg = client.id_token_signed_response_alg

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        # RFC 9700 §2.1: redirect_uri is always required, so there is no default.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.row.scope.split()
        return " ".join(s for s in dict.fromkeys((scope or "").split()) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # RFC 9700 §4.1.3: exact string matching, no patterns, no normalisation.
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if self.row.client_secret_hash is None:
            return False
        return hmac.compare_digest(_secret_digest(client_secret), self.row.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.row.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        # OIDC Core §11: refresh tokens are for offline access, so only a portal registered for
        # offline_access may use them.
        if grant_type == "refresh_token":
            return "offline_access" in self.row.scope.split()
        return grant_type == "authorization_code"
