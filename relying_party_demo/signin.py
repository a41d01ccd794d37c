"""Signing in through the provider with Authlib's Flask client, and the checks Authlib leaves to us.

Authlib does discovery, PKCE (S256), state, nonce, the token request with ``client_secret_basic``,
and the ID token's signature (JWKS), ``iss``, ``exp``, ``iat``, ``nonce``, ``azp`` and ``at_hash``.
This module adds what Authlib 1.9 does not:

- the discovered ``issuer`` equals the configured one (OpenID Connect Discovery 1.0 §4.3);
- the authorization response's ``iss`` parameter equals the issuer, and is present when the
  provider advertises it (RFC 9207 §2.4);
- the ID token's ``aud`` contains our client id (OpenID Connect Core §3.1.3.7 step 3: Authlib
  checks ``azp`` but not ``aud``);
- an ID token was returned and verified at all (Authlib skips verification when there is none);
- ``azp``, when present, is our client id (OpenID Connect Core §2);
- the UserInfo ``sub`` equals the ID token's (OpenID Connect Core §5.3.4).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request, session
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from relying_party_demo.config import HTTP_TIMEOUT_SECONDS, PortalSettings

PROVIDER_NAME = "idp"
SETTINGS_KEY = "relying_party_demo.settings"
OAUTH_KEY = "authlib.integrations.flask_client"

# Seconds of clock skew tolerated on the ID token's exp/iat.
ID_TOKEN_LEEWAY = 60

# Each pending sign-in keeps its state, nonce and code verifier in the session cookie; a citizen
# who starts many without finishing would outgrow the 4 KB a browser keeps, and lose them all.
MAX_PENDING_SIGN_INS = 5
# Authlib's FrameworkIntegration names a pending sign-in "_state_{name}_{state}".
_PENDING_PREFIX = f"_state_{PROVIDER_NAME}_"

# RFC 6749 §4.1.2.1: an error code is a short ASCII token; anything else is not shown as sent.
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_DESCRIPTION_LIMIT = 300


class OIDCClient(Protocol):
    """The part of Authlib's ``FlaskOAuth2App`` the portal uses."""

    client_id: str
    framework: Any

    def load_server_metadata(self) -> dict[str, Any]: ...

    def authorize_redirect(self, redirect_uri: str, **kwargs: Any) -> Response: ...

    def authorize_access_token(self, **kwargs: Any) -> dict[str, Any]: ...

    def userinfo(self, **kwargs: Any) -> Mapping[str, Any]: ...


class SignInError(Exception):
    """A sign-in that cannot complete: ``code`` picks the message, ``detail`` is shown beside it.

    ``detail`` is technical text for testers (a provider's ``error_description``, a validation
    failure); it never holds a token or a secret.
    """

    def __init__(self, code: str, detail: str | None = None, status: int = 400) -> None:
        super().__init__(code if detail is None else f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = status


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The verified result of a sign-in: the ID token's claims and the UserInfo response."""

    id_token_claims: dict[str, Any]
    userinfo: dict[str, Any]


def init_app(app: Flask, settings: PortalSettings) -> None:
    app.extensions[SETTINGS_KEY] = settings
    oauth = OAuth(app)
    oauth.register(
        PROVIDER_NAME,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.metadata_url,
        client_kwargs={
            "scope": settings.scope,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "default_timeout": HTTP_TIMEOUT_SECONDS,
        },
    )


def portal_settings() -> PortalSettings:
    settings: PortalSettings = current_app.extensions[SETTINGS_KEY]
    return settings


def provider() -> OIDCClient:
    client: OIDCClient = current_app.extensions[OAUTH_KEY].create_client(PROVIDER_NAME)
    return client


def start_sign_in() -> Response:
    """Redirect to the provider's authorization endpoint with state, nonce and PKCE."""
    settings = portal_settings()
    client = provider()
    load_metadata(client, settings)
    _forget_oldest_pending_sign_ins(keep=MAX_PENDING_SIGN_INS - 1)
    return client.authorize_redirect(settings.redirect_uri, nonce=secrets.token_urlsafe(32))


def _forget_oldest_pending_sign_ins(keep: int) -> None:
    def expiry(key: str) -> float:
        entry = session[key]
        return float(entry.get("exp", 0)) if isinstance(entry, dict) else 0.0

    pending = sorted((key for key in session if key.startswith(_PENDING_PREFIX)), key=expiry)
    for key in pending[: max(0, len(pending) - keep)]:
        session.pop(key)


def complete_sign_in() -> SignedIn:
    """Check the authorization response on the current request and redeem its code."""
    settings = portal_settings()
    client = provider()
    args = request.args
    state = args.get("state")
    pending = client.framework.get_state_data(session, state) if state else None
    try:
        check_response_issuer(args.get("iss"), settings.issuer)
        if pending is None:
            error = args.get("error")
            if error is not None:
                # Not an answer to a sign-in started here: say what was sent, but not the
                # sender's free text, which would let anyone put words on the portal's pages.
                raise SignInError(_safe_error_code(error))
            raise SignInError("invalid_state")
        _check_response(client, settings, args)
    except SignInError:
        if pending is not None:
            # The sign-in ends here: its state, nonce and code verifier must not work again.
            client.framework.clear_state_data(session, state)
        raise

    token = _redeem_code(client, settings)
    id_token_claims = _verified_id_token_claims(token, settings)
    userinfo = _fetch_userinfo(client, token)
    check_userinfo_subject(userinfo, id_token_claims)
    return SignedIn(id_token_claims=id_token_claims, userinfo=userinfo)


def _check_response(client: OIDCClient, settings: PortalSettings, args: Mapping[str, str]) -> None:
    metadata = load_metadata(client, settings)
    if "iss" not in args and metadata.get("authorization_response_iss_parameter_supported"):
        raise SignInError("missing_issuer", "the provider advertises RFC 9207 but sent no iss")
    error = args.get("error")
    if error is not None:
        raise SignInError(_safe_error_code(error), _shorten(args.get("error_description")))
    if not args.get("code"):
        raise SignInError("missing_code")


def load_metadata(client: OIDCClient, settings: PortalSettings) -> dict[str, Any]:
    """The provider's discovery document, fetched once per process and checked."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise SignInError("provider_unreachable", type(error).__name__, status=502) from error
    # OpenID Connect Discovery 1.0 §4.3: the issuer in the document is exactly the one asked for.
    if metadata.get("issuer") != settings.issuer:
        raise SignInError(
            "discovery_issuer_mismatch",
            f"expected {settings.issuer!r}, discovery says {metadata.get('issuer')!r}",
            status=502,
        )
    return metadata


def check_response_issuer(response_issuer: str | None, issuer: str) -> None:
    """RFC 9207 §2.4: an ``iss`` parameter that is present must equal the issuer exactly."""
    if response_issuer is not None and response_issuer != issuer:
        # The value sent is not echoed: anyone can put text in this parameter.
        raise SignInError("issuer_mismatch", f"the response does not name {issuer!r}")


def check_authorized_party(claims: Mapping[str, Any], client_id: str) -> None:
    """OpenID Connect Core §2: ``azp``, when present, is the client the token was issued to."""
    if "azp" in claims and claims["azp"] != client_id:
        raise SignInError("azp_mismatch", f"azp is {claims['azp']!r}")


def check_userinfo_subject(userinfo: Mapping[str, Any], id_token_claims: Mapping[str, Any]) -> None:
    """OpenID Connect Core §5.3.4: the UserInfo ``sub`` must equal the ID token's ``sub``."""
    if userinfo.get("sub") != id_token_claims.get("sub"):
        raise SignInError("userinfo_subject_mismatch")


def _redeem_code(client: OIDCClient, settings: PortalSettings) -> dict[str, Any]:
    claims_options = {
        "iss": {"essential": True, "value": settings.issuer},
        "aud": {"essential": True, "value": settings.client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    try:
        return client.authorize_access_token(claims_options=claims_options, leeway=ID_TOKEN_LEEWAY)
    except JoseError as error:
        raise SignInError("invalid_id_token", f"{error.error}: {error.description}") from error
    except AuthlibBaseError as error:
        raise SignInError(
            _safe_error_code(str(error.error)), _shorten(error.description)
        ) from error
    except requests.RequestException as error:
        raise SignInError("provider_unreachable", type(error).__name__, status=502) from error
    except (ValueError, RuntimeError) as error:
        raise SignInError("invalid_provider_response", str(error)[:200], status=502) from error


def _verified_id_token_claims(token: Mapping[str, Any], settings: PortalSettings) -> dict[str, Any]:
    # Authlib puts the verified claims under "userinfo", and verifies nothing if the token
    # response holds no ID token.
    claims = token.get("userinfo")
    if "id_token" not in token or not isinstance(claims, Mapping):
        raise SignInError("missing_id_token")
    check_authorized_party(claims, settings.client_id)
    return dict(claims)


def _fetch_userinfo(client: OIDCClient, token: dict[str, Any]) -> dict[str, Any]:
    try:
        userinfo = client.userinfo(token=token)
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else None
        raise SignInError("invalid_provider_response", f"UserInfo: HTTP {status}", 502) from error
    except requests.RequestException as error:
        raise SignInError("provider_unreachable", type(error).__name__, status=502) from error
    except (ValueError, AuthlibBaseError) as error:
        # A signed or encrypted UserInfo response is not JSON; this portal does not ask for one.
        raise SignInError("invalid_provider_response", "UserInfo is not JSON", 502) from error
    if not isinstance(userinfo, Mapping):
        raise SignInError("invalid_provider_response", "UserInfo is not a JSON object", 502)
    return dict(userinfo)


def _safe_error_code(code: str) -> str:
    return code if _ERROR_CODE.fullmatch(code) else "invalid_error_code"


def _shorten(text: str | None) -> str | None:
    if not text:
        return None
    return text if len(text) <= _DESCRIPTION_LIMIT else f"{text[:_DESCRIPTION_LIMIT]}…"
