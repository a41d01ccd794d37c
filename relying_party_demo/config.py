"""Every setting of the demo portal, read from ``RP_*`` environment variables.

- ``RP_ISSUER`` (default ``http://localhost:5000``): the provider's issuer; discovery is
  fetched from ``{issuer}/.well-known/openid-configuration``.
- ``RP_CLIENT_ID`` (required): from ``idp clients create … --json``.
- ``RP_AUTH_METHOD`` (default ``client_secret_basic``): how the portal authenticates at the token
  endpoint, ``client_secret_basic`` or ``private_key_jwt``.
- ``RP_CLIENT_SECRET`` (required with ``client_secret_basic``): the portal is a confidential
  client.
- ``RP_PRIVATE_KEY_FILE`` (required with ``private_key_jwt``): a JSON file holding the portal's
  private JWK (EC P-256 or RSA); the portal publishes its public half at ``/jwks.json``.
- ``RP_BASE_URL`` (default ``http://127.0.0.1:5001``): where the portal is reached; its redirect
  URI is ``{RP_BASE_URL}/callback``, its post-logout redirect URI ``{RP_BASE_URL}/logged-out``
  and its back-channel logout URI ``{RP_BASE_URL}/backchannel-logout``.
- ``RP_SECRET_KEY`` (required): keys the digests under which sessions are stored (the cookie
  holds a random session id) and anything else Flask signs.
- ``RP_SCOPE`` (default ``openid profile citizen_id``): what the plain "Sign in" button asks
  for; must include ``openid``. Each procedure asks for its own scopes
  (:mod:`relying_party_demo.procedures`); the portal's registration must cover them all.
- ``RP_INSTANCE_PATH`` (default Flask's instance folder): where the portal keeps its SQLite file
  of server-side sessions and seen logout tokens.

The portal runs on a different host from the provider (127.0.0.1 against localhost) and names its
cookie `portal_session`, so the two applications' cookies never mix: cookies ignore the port.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

DEFAULT_ISSUER = "http://localhost:5000"
DEFAULT_BASE_URL = "http://127.0.0.1:5001"
DEFAULT_SCOPE = "openid profile citizen_id"
SESSION_COOKIE_NAME = "portal_session"
HTTP_TIMEOUT_SECONDS = 10
AUTH_METHODS = ("client_secret_basic", "private_key_jwt")
# The assertion algorithms the provider accepts for each kind of key (idp/oidc/client_auth.py).
KEY_ALGORITHMS = {"EC": ("ES256",), "RSA": ("PS256", "RS256")}

_REGISTER_HINT = (
    "register the portal with `idp clients create --name 'Demo portal' "
    "--redirect-uri {redirect_uri} --scope '{scope}' --auth-method client_secret_basic --json` "
    "and pass the printed client_id and client_secret as RP_CLIENT_ID and RP_CLIENT_SECRET"
)


class ConfigurationError(RuntimeError):
    """The portal was started with settings it cannot run with; the message says which and why."""


@dataclass(frozen=True, slots=True)
class PortalSettings:
    issuer: str
    client_id: str
    # Empty with private_key_jwt: the portal then has no shared secret.
    client_secret: str = field(repr=False)
    base_url: str
    secret_key: str = field(repr=False)
    scope: str
    auth_method: str = "client_secret_basic"
    # The private JWK for private_key_jwt (kid and alg always set), else None.
    private_jwk: dict[str, Any] | None = field(default=None, repr=False)
    instance_path: str | None = None

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return f"{self.base_url}/logged-out"

    @property
    def backchannel_logout_uri(self) -> str:
        return f"{self.base_url}/backchannel-logout"

    @property
    def jwks_uri(self) -> str:
        return f"{self.base_url}/jwks.json"

    @property
    def metadata_url(self) -> str:
        # OpenID Connect Discovery 1.0 §4: a trailing "/" of the issuer is removed before appending.
        return f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"

    @property
    def issuer_origin(self) -> str:
        return _origin(self.issuer)

    @property
    def uses_https(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"


def load(environ: Mapping[str, str]) -> PortalSettings:
    """Read and check the ``RP_*`` variables; raise :class:`ConfigurationError` on any problem."""
    issuer = _read(environ, "RP_ISSUER", DEFAULT_ISSUER)
    base_url = _read(environ, "RP_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
    scope = " ".join(_read(environ, "RP_SCOPE", DEFAULT_SCOPE).split())
    _check_url("RP_ISSUER", issuer)
    _check_url("RP_BASE_URL", base_url)
    if "openid" not in scope.split():
        raise ConfigurationError(
            f"RP_SCOPE={scope!r} does not include 'openid': without it the provider issues no ID "
            "token and the portal cannot verify who signed in."
        )

    secret_key = _read(environ, "RP_SECRET_KEY", "")
    if not secret_key:
        raise ConfigurationError(
            "RP_SECRET_KEY is not set. The demo portal refuses to start without it: it keys the "
            "digests under which the portal stores its sessions. Set it to a long random value, "
            "for example the output of `python -c 'import secrets; print(secrets.token_hex(32))'`."
        )

    hint = _REGISTER_HINT.format(redirect_uri=f"{base_url}/callback", scope=scope)
    client_id = _read(environ, "RP_CLIENT_ID", "")
    if not client_id:
        raise ConfigurationError(f"RP_CLIENT_ID is not set: {hint}.")

    auth_method = _read(environ, "RP_AUTH_METHOD", "client_secret_basic")
    if auth_method not in AUTH_METHODS:
        raise ConfigurationError(
            f"RP_AUTH_METHOD={auth_method!r} is not one of {', '.join(AUTH_METHODS)}."
        )
    client_secret = ""
    private_jwk: dict[str, Any] | None = None
    if auth_method == "client_secret_basic":
        client_secret = _read(environ, "RP_CLIENT_SECRET", "")
        if not client_secret:
            raise ConfigurationError(
                f"RP_CLIENT_SECRET is not set: the portal is a confidential client; {hint}."
            )
    else:
        private_jwk = _read_private_jwk(_read(environ, "RP_PRIVATE_KEY_FILE", ""))

    instance_path = _read(environ, "RP_INSTANCE_PATH", "") or None
    if instance_path is not None:
        instance_path = str(Path(instance_path).expanduser().resolve())

    return PortalSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        base_url=base_url,
        secret_key=secret_key,
        scope=scope,
        auth_method=auth_method,
        private_jwk=private_jwk,
        instance_path=instance_path,
    )


def _read_private_jwk(path: str) -> dict[str, Any]:
    """The portal's private key for ``private_key_jwt``, with its ``kid`` and ``alg`` settled."""
    if not path:
        raise ConfigurationError(
            "RP_PRIVATE_KEY_FILE is not set: with RP_AUTH_METHOD=private_key_jwt the portal signs "
            "its client assertions with a private JWK read from that file (see "
            "relying_party_demo/README.md for how to make one and register its public half)."
        )
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"RP_PRIVATE_KEY_FILE={path!r} cannot be read: {error}") from None
    if not isinstance(data, dict) or data.get("kty") not in KEY_ALGORITHMS:
        raise ConfigurationError(
            f"RP_PRIVATE_KEY_FILE={path!r} does not hold an EC or RSA JWK (a JSON object)."
        )
    try:
        key = (ECKey if data["kty"] == "EC" else RSAKey).import_key(data)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ConfigurationError(
            f"RP_PRIVATE_KEY_FILE={path!r}: not a valid JWK ({error})"
        ) from None
    if not key.is_private:
        raise ConfigurationError(
            f"RP_PRIVATE_KEY_FILE={path!r} holds a public key; the portal needs the private one."
        )
    if data["kty"] == "EC" and data.get("crv") != "P-256":
        raise ConfigurationError(f"RP_PRIVATE_KEY_FILE={path!r}: an EC key must be on P-256.")
    allowed = KEY_ALGORITHMS[data["kty"]]
    alg = data.get("alg", allowed[0])
    if alg not in allowed:
        raise ConfigurationError(
            f"RP_PRIVATE_KEY_FILE={path!r}: alg {alg!r} is not one of {', '.join(allowed)}."
        )
    jwk = key.as_dict(private=True)
    jwk["kid"] = data.get("kid") or key.thumbprint()
    jwk["alg"] = alg
    jwk["use"] = "sig"
    return jwk


def _read(environ: Mapping[str, str], name: str, default: str) -> str:
    return environ.get(name, "").strip() or default


def _check_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{name}={value!r} is not an absolute http(s) URL.")
    if parts.query or parts.fragment:
        # OpenID Connect Core §2: an issuer has no query or fragment; neither has a base URL.
        raise ConfigurationError(f"{name}={value!r} must not have a query or a fragment.")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
