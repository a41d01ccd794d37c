"""Signing in through the provider with Authlib's Flask client, and the checks Authlib leaves to us.

Authlib does discovery, PKCE (S256), state, nonce, the token request (``client_secret_basic``,
or ``private_key_jwt`` with :class:`ClientAssertion`), and the ID token's signature (against the
JWKS, cached with the discovery document and fetched again for an unknown ``kid``), ``iss``,
``exp``, ``iat``, ``nonce``, ``azp`` and ``at_hash``. This module adds what Authlib 1.9 does not:

- the discovered ``issuer`` equals the configured one (OpenID Connect Discovery 1.0 §4.3);
- the authorization response's ``iss`` parameter equals the issuer, and is present when the
  provider advertises it (RFC 9207 §2.4);
- the ID token's ``aud`` contains our client id (OpenID Connect Core §3.1.3.7 step 3: Authlib
  checks ``azp`` but not ``aud``);
- an ID token was returned and verified at all (Authlib skips verification when there is none);
- ``azp``, when present, is our client id (OpenID Connect Core §2);
- the ID token's ``acr`` is at least the level the portal asked for in ``acr_values`` (OpenID
  Connect Core §3.1.2.1 makes ``acr_values`` a voluntary request; a portal that needs a level
  must refuse a weaker sign-in itself);
- the UserInfo ``sub`` equals the ID token's (OpenID Connect Core §5.3.4).

It also builds the RP-Initiated Logout redirect (``end_session_endpoint`` with
``id_token_hint``, ``post_logout_redirect_uri`` and ``state``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from flask import Flask, current_app, redirect, request, session
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from werkzeug.wrappers import Response

from relying_party_demo import clock
from relying_party_demo.config import HTTP_TIMEOUT_SECONDS, PortalSettings
from relying_party_demo.procedures import ACR_ORDER, satisfies

PROVIDER_NAME = "idp"
SETTINGS_KEY = "relying_party_demo.settings"
OAUTH_KEY = "authlib.integrations.flask_client"

# Seconds of clock skew tolerated on the ID token's exp/iat.
ID_TOKEN_LEEWAY = 60
# A client assertion is made for one token request: it lives one minute (the provider accepts at
# most five).
ASSERTION_LIFETIME = 60
# Where the pending RP-initiated logout keeps its state until the provider sends the citizen back.
LOGOUT_STATE_KEY = "logout_state"

# Each pending sign-in keeps its state, nonce and code verifier in the (server-side) session; a
# citizen, or a script, that starts many without finishing must not grow it without bound.
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

    def create_authorization_url(self, redirect_uri: str, **kwargs: Any) -> dict[str, Any]: ...

    def save_authorize_data(self, **kwargs: Any) -> None: ...

    def authorize_access_token(self, **kwargs: Any) -> dict[str, Any]: ...

    def userinfo(self, **kwargs: Any) -> Mapping[str, Any]: ...

    def fetch_jwk_set(self, force: bool = False) -> dict[str, Any]: ...

    def create_logout_url(self, **kwargs: Any) -> dict[str, Any]: ...


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
        # The procedure the failed sign-in was started for, so the page can offer to retry it.
        self.procedure: str | None = None


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """What the portal asked for, kept with the state until the provider answers."""

    scope: str
    acr: str | None
    procedure: str | None
    nonce: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The verified result of a sign-in: the ID token's claims, the UserInfo response, and the
    raw tokens (kept server-side for the token inspector and for logout's ``id_token_hint``)."""

    id_token_claims: dict[str, Any]
    userinfo: dict[str, Any]
    id_token: str
    access_token: str
    granted_scope: str
    expires_in: int | None
    asked: PendingSignIn
    token_response: dict[str, Any] = field(default_factory=dict)


class ClientAssertion(PrivateKeyJWT):
    """``private_key_jwt`` (RFC 7523 §2.2, OpenID Connect Core §9): a JWT signed with the
    portal's key, ``iss`` = ``sub`` = client id, ``aud`` the token endpoint, a fresh ``jti``.

    Authlib's ``PrivateKeyJWT`` makes assertions that live an hour; the provider accepts at most
    five minutes, so this one sets ``exp`` itself and names its key's ``kid``.
    """

    def __init__(self, jwk: Mapping[str, Any]) -> None:
        super().__init__(alg=jwk["alg"])
        self.kid = jwk["kid"]
        key_type = ECKey if jwk["kty"] == "EC" else RSAKey
        self.key = key_type.import_key(dict(jwk))

    def sign(self, auth: Any, token_endpoint: str) -> str:
        now = clock.now()
        return str(
            private_key_jwt_sign(
                self.key,
                client_id=auth.client_id,
                token_endpoint=token_endpoint,
                alg=self.alg,
                claims={"jti": secrets.token_urlsafe(24)},
                header={"kid": self.kid, "typ": "JWT"},
                issued_at=now,
                expires_at=now + ASSERTION_LIFETIME,
            )
        )


def init_app(app: Flask, settings: PortalSettings) -> None:
    app.extensions[SETTINGS_KEY] = settings
    oauth = OAuth(app)
    options: dict[str, Any] = {}
    if settings.auth_method == "private_key_jwt":
        assert settings.private_jwk is not None
        options["client_auth_methods"] = [ClientAssertion(settings.private_jwk)]
    oauth.register(
        PROVIDER_NAME,
        client_id=settings.client_id,
        client_secret=settings.client_secret or None,
        server_metadata_url=settings.metadata_url,
        client_kwargs={
            "scope": settings.scope,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": settings.auth_method,
            "default_timeout": HTTP_TIMEOUT_SECONDS,
        },
        **options,
    )


def portal_settings() -> PortalSettings:
    settings: PortalSettings = current_app.extensions[SETTINGS_KEY]
    return settings


def provider() -> OIDCClient:
    client: OIDCClient = current_app.extensions[OAUTH_KEY].create_client(PROVIDER_NAME)
    return client


def start_sign_in(
    *,
    scope: str | None = None,
    acr: str | None = None,
    procedure: str | None = None,
    id_token_hint: str | None = None,
) -> Response:
    """Redirect to the provider's authorization endpoint with state, nonce and PKCE, asking for
    ``scope`` (default ``RP_SCOPE``) and, when given, ``acr_values``.

    A citizen already signed in here is sent with ``id_token_hint``: the provider then signs in
    (or steps up) the same person, and asks again if someone else is signed in there.
    """
    settings = portal_settings()
    client = provider()
    load_metadata(client, settings)
    _forget_oldest_pending_sign_ins(keep=MAX_PENDING_SIGN_INS - 1)
    if acr is not None and acr not in ACR_ORDER:
        raise ValueError(f"unknown assurance level {acr!r}")
    asked_scope = scope or settings.scope
    parameters: dict[str, str] = {"nonce": secrets.token_urlsafe(32), "scope": asked_scope}
    if acr is not None:
        parameters["acr_values"] = acr
    if id_token_hint is not None:
        parameters["id_token_hint"] = id_token_hint
    authorization = client.create_authorization_url(settings.redirect_uri, **parameters)
    url = authorization.pop("url")
    # What Authlib's authorize_redirect saves, and what this portal asked for beside it.
    client.save_authorize_data(
        redirect_uri=settings.redirect_uri,
        asked_scope=asked_scope,
        asked_acr=acr,
        procedure=procedure,
        **authorization,
    )
    return redirect(url)


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
    if pending is not None and not {"nonce", "code_verifier"} <= set(pending):
        pending = None  # not a sign-in started by start_sign_in
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
    except SignInError as error:
        if pending is not None:
            # The sign-in ends here: its state, nonce and code verifier must not work again.
            client.framework.clear_state_data(session, state)
            error.procedure = pending.get("procedure")
        raise

    asked = PendingSignIn(
        scope=str(pending.get("asked_scope") or settings.scope),
        acr=pending.get("asked_acr"),
        procedure=pending.get("procedure"),
        nonce=str(pending["nonce"]),
    )
    try:
        token = _redeem_code(client, settings)
        id_token_claims = _verified_id_token_claims(token, settings)
        check_acr(id_token_claims, asked.acr)
        userinfo = _fetch_userinfo(client, token)
        check_userinfo_subject(userinfo, id_token_claims)
    except SignInError as error:
        error.procedure = asked.procedure
        raise
    expires_in = token.get("expires_in")
    return SignedIn(
        id_token_claims=id_token_claims,
        userinfo=userinfo,
        id_token=str(token["id_token"]),
        access_token=str(token.get("access_token", "")),
        # RFC 6749 §5.1: the response names the scope only when it differs from the request.
        granted_scope=str(token.get("scope") or asked.scope),
        expires_in=expires_in if isinstance(expires_in, int) else None,
        asked=asked,
        token_response={
            name: token[name] for name in ("token_type", "expires_in", "scope") if name in token
        },
    )


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


def check_acr(claims: Mapping[str, Any], asked: str | None) -> None:
    """The ID token's ``acr`` is at least ``asked``: a provider may answer ``acr_values`` with a
    weaker sign-in (OpenID Connect Core §3.1.2.1: the values are voluntary), and a portal that
    needs a level must refuse it itself."""
    if asked is None:
        return
    if not satisfies(claims.get("acr"), asked):
        raise SignInError(
            "insufficient_acr", f"asked for {asked}, the ID token says {claims.get('acr')!r}"
        )


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


def fetch_userinfo_again(access_token: str) -> dict[str, Any]:
    """UserInfo once more with the sign-in's access token (OpenID Connect Core §5.3.1), as a
    portal does when it needs the data later; a withdrawn consent or an ended session shows
    here as ``invalid_token``."""
    return _fetch_userinfo(provider(), {"access_token": access_token, "token_type": "Bearer"})


def _fetch_userinfo(client: OIDCClient, token: dict[str, Any]) -> dict[str, Any]:
    try:
        userinfo = client.userinfo(token=token)
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else None
        if status == 401:
            # RFC 6750 §3.1: the provider no longer honours this access token.
            raise SignInError("invalid_token", "UserInfo: HTTP 401", 401) from error
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


def end_session_url(id_token: str | None, state: str) -> str | None:
    """RP-Initiated Logout 1.0 §2: the provider's ``end_session_endpoint`` with
    ``id_token_hint``, ``post_logout_redirect_uri`` and ``state``; None when the provider has no
    such endpoint or cannot be reached (the portal then signs out locally only)."""
    settings = portal_settings()
    client = provider()
    try:
        metadata = load_metadata(client, settings)
    except SignInError:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    logout = client.create_logout_url(
        post_logout_redirect_uri=settings.post_logout_redirect_uri,
        id_token_hint=id_token,
        state=state,
        client_id=settings.client_id,
    )
    return str(logout["url"])
