"""Every setting of the provider, read from ``IDP_*`` environment variables (DESIGN.md §3).

Each setting has one documented default. Those marked *secret* are generated into the instance
folder on first run in development; ``IDP_ENV=production`` refuses to start without them, or with
an ``http`` issuer.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str | int | None
    doc: str
    secret: bool = False
    minimum: int = 1  # lowest value a whole-number setting accepts


SETTINGS: tuple[Setting, ...] = (
    Setting("ENV", "development", "`production` refuses insecure defaults"),
    Setting("ISSUER", "http://localhost:5000", "issuer URL; its host is the WebAuthn RP ID"),
    Setting("DATABASE_URL", None, "SQLAlchemy URL; default sqlite:///<instance>/idp.sqlite3"),
    Setting("SECRET_KEY", None, "signs the browser session cookie", secret=True),
    Setting("KEY_ENCRYPTION_KEY", None, "seals private keys and TOTP secrets", secret=True),
    Setting("SUBJECT_SALT", None, "salt of pairwise subject identifiers", secret=True),
    Setting("RATELIMIT_STORAGE_URI", "memory://", "redis://… when workers share limits"),
    Setting("CODE_LIFETIME", 60, "seconds an authorization code stays redeemable"),
    Setting("ACCESS_TOKEN_LIFETIME", 600, "seconds an access token is valid"),
    Setting("ID_TOKEN_LIFETIME", 600, "seconds an ID token is valid"),
    Setting(
        "REFRESH_TOKEN_LIFETIME",
        2592000,
        "seconds a refresh token (offline_access) stays usable after the code exchange that "
        "started its family; rotation does not extend it",
    ),
    Setting(
        "KEY_PUBLISH_LEAD_TIME",
        86400,
        "seconds a rotated-in signing key is published before it signs (longer than portals "
        "cache the JWKS)",
        minimum=0,
    ),
    Setting("SESSION_LIFETIME", 43200, "seconds a sign-in at the provider lasts at most"),
    Setting("SESSION_IDLE_LIFETIME", 900, "seconds without use after which a sign-in ends"),
    Setting(
        "REAUTHENTICATION_WINDOW",
        300,
        "seconds after a sign-in during which the citizen may change their credentials",
    ),
    Setting(
        "TOTP_ENROLMENT_LIFETIME",
        600,
        "seconds a new authenticator app has to be confirmed with its first code",
    ),
    Setting("TRANSACTION_LIFETIME", 900, "seconds a citizen has to finish signing in"),
    Setting(
        "WEBAUTHN_CHALLENGE_LIFETIME",
        300,
        "seconds a passkey challenge stays usable (and the browser's timeout for the ceremony)",
    ),
    Setting("DEFAULT_LOCALE", "vi", "language of the pages when the browser states none"),
    Setting("TIMEZONE", "Asia/Ho_Chi_Minh", "IANA time zone of the dates and times pages show"),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "reverse proxies in front of the provider whose X-Forwarded-For is trusted for the "
        "client's address",
        minimum=0,
    ),
    Setting(
        "LOCKOUT_THRESHOLD",
        5,
        "failures of one factor for one citizen-ID number within IDP_LOCKOUT_WINDOW that start "
        "a lock-out",
    ),
    Setting("LOCKOUT_WINDOW", 900, "seconds over which IDP_LOCKOUT_THRESHOLD failures count"),
    Setting("LOCKOUT_DELAY", 60, "seconds of the first lock-out; each further one doubles it"),
    Setting("LOCKOUT_MAX_DELAY", 3600, "seconds a lock-out lasts at most"),
    Setting(
        "LOCKOUT_MEMORY",
        86400,
        "seconds over which earlier lock-outs make the next one longer",
    ),
    Setting(
        "ADDRESS_FAILURE_LIMIT",
        300,
        "failed sign-ins from one client address (IPv6: one /64) within "
        "IDP_ADDRESS_FAILURE_WINDOW after which that address is refused",
    ),
    Setting("ADDRESS_FAILURE_WINDOW", 600, "seconds over which IDP_ADDRESS_FAILURE_LIMIT counts"),
    Setting(
        "NOTIFIER",
        "idp.notify.outbox:OutboxNotifier",
        "`module:Class` that sends messages to citizens (SMS or e-mail gateway); the default "
        "keeps them in the outbox table for development, and production requires it to be set",
    ),
    Setting(
        "HASHING_CONCURRENCY",
        1,
        "password hashes (Argon2id) that one worker process computes at once",
    ),
    Setting(
        "HASHING_QUEUE",
        4,
        "requests of one worker process that may wait for a hashing turn; beyond them the "
        "password step answers 503 with Retry-After",
        minimum=0,
    ),
    Setting(
        "HASHING_QUEUE_TIMEOUT",
        2,
        "seconds a request waits for a hashing turn at most before it is answered 503",
    ),
    Setting("ACTIVATION_CODE_LIFETIME", 600, "seconds an activation code can be entered"),
    Setting("ACTIVATION_CODE_ATTEMPTS", 5, "tries to enter one activation code, right or wrong"),
    Setting(
        "ACTIVATION_SENDS_PER_HOUR",
        5,
        "activation codes and notices sent to one citizen's registry contact per hour at most",
    ),
)

SECRETS_FILE = "secrets.json"


def _coerce(setting: Setting, raw: str) -> str | int:
    if isinstance(setting.default, int):
        try:
            value = int(raw)
        except ValueError:
            raise ConfigurationError(f"IDP_{setting.name} must be a whole number") from None
        if value < setting.minimum:
            raise ConfigurationError(f"IDP_{setting.name} must be at least {setting.minimum}")
        return value
    return raw


def _development_secrets(instance_path: Path) -> dict[str, str]:
    """Secrets kept in the instance folder, created once with owner-only permissions."""
    path = instance_path / SECRETS_FILE
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
    else:
        stored = {}
    missing = [s.name for s in SETTINGS if s.secret and s.name not in stored]
    if missing:
        instance_path.mkdir(parents=True, exist_ok=True)
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle)
    return stored


def load(instance_path: Path, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Read every setting; return the Flask config mapping (keys without the prefix)."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(f"IDP_{setting.name}")
        values[setting.name] = setting.default if raw in (None, "") else _coerce(setting, raw)

    env = values["ENV"]
    if env not in ("development", "production"):
        raise ConfigurationError("IDP_ENV must be 'development' or 'production'")
    issuer = str(values["ISSUER"]).rstrip("/")
    values["ISSUER"] = issuer
    if not issuer.startswith(("https://", "http://")):
        raise ConfigurationError("IDP_ISSUER must be an http(s) URL")

    if values["DEFAULT_LOCALE"] not in ("vi", "en"):
        raise ConfigurationError("IDP_DEFAULT_LOCALE must be 'vi' or 'en'")
    try:
        ZoneInfo(values["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError("IDP_TIMEZONE must be an IANA time zone name") from None
    if not values["LOCKOUT_DELAY"] <= values["LOCKOUT_MAX_DELAY"] <= values["LOCKOUT_MEMORY"]:
        raise ConfigurationError(
            "IDP_LOCKOUT_DELAY must not exceed IDP_LOCKOUT_MAX_DELAY, "
            "which must not exceed IDP_LOCKOUT_MEMORY"
        )
    missing = [s.name for s in SETTINGS if s.secret and not values[s.name]]
    if env == "production":
        if not issuer.startswith("https://"):
            raise ConfigurationError("IDP_ISSUER must be an https URL when IDP_ENV=production")
        if missing:
            names = ", ".join(f"IDP_{name}" for name in missing)
            raise ConfigurationError(f"{names} must be set when IDP_ENV=production")
        if not values["DATABASE_URL"]:
            raise ConfigurationError("IDP_DATABASE_URL must be set when IDP_ENV=production")
        if not environ.get("IDP_NOTIFIER"):
            # The default keeps activation codes in a table instead of sending them.
            raise ConfigurationError(
                "IDP_NOTIFIER must be set when IDP_ENV=production (an SMS or e-mail gateway)"
            )
    elif missing:
        generated = _development_secrets(instance_path)
        for name in missing:
            values[name] = generated[name]

    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'idp.sqlite3'}"

    return {
        **values,
        "SQLALCHEMY_DATABASE_URI": values["DATABASE_URL"],
        # Query parameters (citizen-ID numbers among them) never reach an error message or log.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "SESSION_COOKIE_NAME": "idp_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": issuer.startswith("https://"),
        "PERMANENT_SESSION_LIFETIME": values["SESSION_LIFETIME"],
        "BABEL_DEFAULT_LOCALE": values["DEFAULT_LOCALE"],
        "BABEL_DEFAULT_TIMEZONE": values["TIMEZONE"],
        "WTF_CSRF_TIME_LIMIT": values["TRANSACTION_LIFETIME"],
        "TESTING": False,
    }
