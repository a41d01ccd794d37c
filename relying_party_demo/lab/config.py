"""The lab's settings: the provider, the clients it plays and the citizens it signs in.

In the portal, the first client is the portal itself (its ``RP_*`` settings) and the rest comes
from ``LAB_*`` variables:

- ``LAB_CLIENT_ID``, ``LAB_CLIENT_SECRET``, ``LAB_REDIRECT_URI``, ``LAB_SCOPE`` (optional): another
  first client than the portal's own registration; needed when the portal authenticates with
  ``private_key_jwt``, since the lab's clients use ``client_secret_basic``. ``LAB_SCOPE`` (default
  ``RP_SCOPE``) must be what the client is registered for: the scope-escalation scenario asks
  for one more.

- ``LAB_CITIZEN_ID``, ``LAB_PASSWORD``, ``LAB_TOTP_SECRET`` (base32; optional for an account
  without a second factor, but the portal's scopes usually need one): the citizen the lab signs
  in. Without ``LAB_CITIZEN_ID`` the lab is off and says what to set.
- ``LAB_SECOND_CITIZEN_ID``, ``LAB_SECOND_PASSWORD``, ``LAB_SECOND_TOTP_SECRET`` (optional):
  another citizen, for ``id_token_hint`` naming someone else.
- ``LAB_SECOND_CLIENT_ID``, ``LAB_SECOND_CLIENT_SECRET`` (optional): a second confidential
  client (``client_secret_basic``), for cross-client scenarios and refresh tokens; register it
  with ``offline_access`` (:mod:`relying_party_demo.lab.wiring`).
  ``LAB_SECOND_REDIRECT_URI`` (default ``{RP_BASE_URL}/lab/callback``, which the lab never
  follows) and ``LAB_SECOND_SCOPE`` (default ``openid profile offline_access``) say how it is
  registered.
- ``LAB_TIMEOUT`` (default 10): seconds each HTTP request may take.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from relying_party_demo.config import ConfigurationError, PortalSettings

SECOND_REDIRECT_PATH = "/lab/callback"
SECOND_SCOPE = "openid profile offline_access"
DEFAULT_TIMEOUT = 10.0
#: The longest the lab waits for a fresh one-time code (a code is accepted once per 30 s step).
MAX_OTP_WAIT = 35.0
#: In the portal the wait is shorter: a request must end within gunicorn's 30 s worker timeout.
PORTAL_MAX_OTP_WAIT = 15.0

REQUIRED_TO_ENABLE = ("LAB_CITIZEN_ID", "LAB_PASSWORD", "LAB_TOTP_SECRET")


@dataclass(frozen=True, slots=True)
class LabClient:
    """A registered confidential client that the lab plays (``client_secret_basic``)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    scope: str
    label: str = "client"

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


@dataclass(frozen=True, slots=True)
class LabCitizen:
    """A citizen whose e-ID the lab signs in with, like a person at the provider's pages."""

    citizen_id: str
    password: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)
    label: str = "citizen"


@dataclass(frozen=True, slots=True)
class LabSettings:
    issuer: str
    client: LabClient
    citizen: LabCitizen
    second_client: LabClient | None = None
    second_citizen: LabCitizen | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_otp_wait: float = MAX_OTP_WAIT
    #: The ``RP_*`` variables a validation copy of the portal starts from (the lab replaces the
    #: issuer, client and secret key), so that a setting the portal needs is there.
    portal_environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def clients(self) -> tuple[LabClient, ...]:
        return (self.client,) if self.second_client is None else (self.client, self.second_client)


def citizen(citizen_id: str, password: str, totp_secret: str | None, label: str) -> LabCitizen:
    secret = "".join((totp_secret or "").split()).upper() or None
    return LabCitizen(citizen_id.strip(), password, secret, label)


def load(environ: Mapping[str, str], portal: PortalSettings) -> LabSettings | None:
    """The lab's settings in the portal, or ``None`` when ``LAB_CITIZEN_ID`` is not set.

    Raises :class:`ConfigurationError` for a half-made setting (an id without its secret)."""
    if not _read(environ, "LAB_CITIZEN_ID"):
        return None
    first = citizen(
        _read(environ, "LAB_CITIZEN_ID"),
        _required(environ, "LAB_PASSWORD", "LAB_CITIZEN_ID"),
        _read(environ, "LAB_TOTP_SECRET"),
        "citizen",
    )
    second = None
    if _read(environ, "LAB_SECOND_CITIZEN_ID"):
        second = citizen(
            _read(environ, "LAB_SECOND_CITIZEN_ID"),
            _required(environ, "LAB_SECOND_PASSWORD", "LAB_SECOND_CITIZEN_ID"),
            _read(environ, "LAB_SECOND_TOTP_SECRET"),
            "second citizen",
        )
    second_client = None
    if _read(environ, "LAB_SECOND_CLIENT_ID"):
        redirect_uri = _read(environ, "LAB_SECOND_REDIRECT_URI") or (
            portal.base_url + SECOND_REDIRECT_PATH
        )
        _check_url("LAB_SECOND_REDIRECT_URI", redirect_uri)
        second_client = LabClient(
            client_id=_read(environ, "LAB_SECOND_CLIENT_ID"),
            client_secret=_required(environ, "LAB_SECOND_CLIENT_SECRET", "LAB_SECOND_CLIENT_ID"),
            redirect_uri=redirect_uri,
            scope=" ".join((_read(environ, "LAB_SECOND_SCOPE") or SECOND_SCOPE).split()),
            label="second client",
        )
    return LabSettings(
        issuer=portal.issuer,
        client=_first_client(environ, portal),
        citizen=first,
        second_client=second_client,
        second_citizen=second,
        timeout=_seconds(environ, "LAB_TIMEOUT", DEFAULT_TIMEOUT),
        max_otp_wait=PORTAL_MAX_OTP_WAIT,
        portal_environ={k: v for k, v in environ.items() if k.startswith("RP_")},
    )


def _first_client(environ: Mapping[str, str], portal: PortalSettings) -> LabClient:
    if _read(environ, "LAB_CLIENT_ID"):
        redirect_uri = _read(environ, "LAB_REDIRECT_URI") or portal.redirect_uri
        _check_url("LAB_REDIRECT_URI", redirect_uri)
        return LabClient(
            client_id=_read(environ, "LAB_CLIENT_ID"),
            client_secret=_required(environ, "LAB_CLIENT_SECRET", "LAB_CLIENT_ID"),
            redirect_uri=redirect_uri,
            scope=" ".join((_read(environ, "LAB_SCOPE") or portal.scope).split()),
            label="client",
        )
    if portal.auth_method != "client_secret_basic":
        raise ConfigurationError(
            f"the lab plays its clients with client_secret_basic, and the portal uses "
            f"{portal.auth_method}: set LAB_CLIENT_ID and LAB_CLIENT_SECRET (and LAB_REDIRECT_URI, "
            "LAB_SCOPE) to a client registered with client_secret_basic."
        )
    return LabClient(
        client_id=portal.client_id,
        client_secret=portal.client_secret,
        redirect_uri=portal.redirect_uri,
        scope=" ".join((_read(environ, "LAB_SCOPE") or portal.scope).split()),
        label="portal",
    )


def _read(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip()


def _required(environ: Mapping[str, str], name: str, because: str) -> str:
    value = environ.get(name, "")
    if not value.strip():
        raise ConfigurationError(f"{name} is not set, but {because} is: set both, or neither.")
    return value


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = _read(environ, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a number of seconds.") from None
    if not 0 < value <= 120:
        raise ConfigurationError(f"{name}={raw!r} must be between 0 and 120 seconds.")
    return value


def _check_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{name}={value!r} is not an absolute http(s) URL.")
