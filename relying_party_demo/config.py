"""Every setting of the demo portal, read from ``RP_*`` environment variables.

- ``RP_ISSUER`` (default ``http://localhost:5000``): the provider's issuer; discovery is
  fetched from ``{issuer}/.well-known/openid-configuration``.
- ``RP_CLIENT_ID`` (required): from ``idp clients create … --json``.
- ``RP_CLIENT_SECRET`` (required): the portal is a confidential client (``client_secret_basic``).
- ``RP_BASE_URL`` (default ``http://127.0.0.1:5001``): where the portal is reached; its redirect
  URI is ``{RP_BASE_URL}/callback``.
- ``RP_SECRET_KEY`` (required): signs the portal's session cookie.
- ``RP_SCOPE`` (default ``openid profile citizen_id``): what the portal asks for; must include
  ``openid``.

The portal runs on a different host from the provider (127.0.0.1 against localhost) and names its
cookie `portal_session`, so the two applications' cookies never mix: cookies ignore the port.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_ISSUER = "http://localhost:5000"
DEFAULT_BASE_URL = "http://127.0.0.1:5001"
DEFAULT_SCOPE = "openid profile citizen_id"
SESSION_COOKIE_NAME = "portal_session"
HTTP_TIMEOUT_SECONDS = 10

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
    client_secret: str
    base_url: str
    secret_key: str
    scope: str

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/callback"

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
            "RP_SECRET_KEY is not set. The demo portal refuses to start without it: it signs the "
            "portal's session cookie. Set it to a long random value, for example the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )

    hint = _REGISTER_HINT.format(redirect_uri=f"{base_url}/callback", scope=scope)
    client_id = _read(environ, "RP_CLIENT_ID", "")
    if not client_id:
        raise ConfigurationError(f"RP_CLIENT_ID is not set: {hint}.")
    client_secret = _read(environ, "RP_CLIENT_SECRET", "")
    if not client_secret:
        raise ConfigurationError(
            f"RP_CLIENT_SECRET is not set: the portal is a confidential client; {hint}."
        )

    return PortalSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        base_url=base_url,
        secret_key=secret_key,
        scope=scope,
    )


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
