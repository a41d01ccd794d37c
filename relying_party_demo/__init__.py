"""The demo public-service portal: a separate Flask app that signs citizens in through the
provider with Authlib's OpenID Connect client, and a lab for security testers.

Run it with ``gunicorn relying_party_demo.wsgi:app``; its settings are the ``RP_*`` variables
described in :mod:`relying_party_demo.config`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from relying_party_demo import config, headers, lab, sessions, signin, views
from relying_party_demo.config import ConfigurationError

__all__ = ["ConfigurationError", "create_app"]


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    """Build the portal from ``RP_*`` variables (``environ``, default the process's).

    Raises :class:`ConfigurationError` with a message naming the variable when a setting is
    missing or unusable, so the portal never starts half-configured.
    """
    settings = config.load(os.environ if environ is None else environ)
    app = Flask(__name__, instance_path=settings.instance_path)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME=config.SESSION_COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        # Lax, not Strict: the provider's redirect to /callback is a cross-site top-level
        # navigation, and it must carry the cookie that holds the pending state.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.uses_https,
        PREFERRED_URL_SCHEME="https" if settings.uses_https else "http",
        MAX_CONTENT_LENGTH=16 * 1024,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    store = sessions.SessionStore(
        Path(app.instance_path) / sessions.DATABASE_FILE, settings.secret_key
    )
    sessions.init_app(app, store)
    signin.init_app(app, settings)
    headers.init_app(app, settings)
    views.init_app(app)
    lab.init_app(app, os.environ if environ is None else environ)
    return app
