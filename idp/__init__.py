"""citizen-idp: an OpenID Connect provider for national e-authentication."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from idp import config, database
from idp.authn import hashing, throttle
from idp.extensions import babel, csrf, db


def create_app(environ: Mapping[str, str] | None = None, *, check_schema: bool = False) -> Flask:
    """Build the provider from ``IDP_*`` variables (``environ``, default the process's).

    ``check_schema`` makes the app refuse to start on a database that is behind the code, which is
    what `idp serve` does.
    """
    environ = os.environ if environ is None else environ
    app = Flask(__name__, instance_path=environ.get("IDP_INSTANCE_PATH") or None)
    app.config.from_mapping(config.load(Path(app.instance_path), environ))
    if app.config["TRUSTED_PROXIES"]:
        # The client's address (per-address limits) is the one the nearest trusted proxy saw.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])  # type: ignore[method-assign]

    db.init_app(app)
    throttle.init_app(app)
    hashing.init_app(app)
    database.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    from idp import language, pages
    from idp.account_portal import blueprint as account_blueprint
    from idp.account_portal.passkeys import blueprint as account_passkeys_blueprint
    from idp.account_portal.security_views import blueprint as security_blueprint
    from idp.accounts.views import blueprint as activation_blueprint
    from idp.authn.views import blueprint as authn_blueprint
    from idp.consent.register import blueprint as register_blueprint
    from idp.consent.views import blueprint as consent_blueprint
    from idp.notify import notifier
    from idp.notify.views import blueprint as outbox_blueprint
    from idp.oidc import server
    from idp.oidc.authorize_views import blueprint as authorize_blueprint
    from idp.oidc.logout_views import blueprint as logout_blueprint
    from idp.oidc.token_views import blueprint as tokens_blueprint
    from idp.oidc.views import blueprint as oidc_blueprint

    server.init_app(app)
    notifier.init_app(app)
    app.register_blueprint(oidc_blueprint)
    app.register_blueprint(authorize_blueprint)
    app.register_blueprint(logout_blueprint)
    app.register_blueprint(tokens_blueprint)
    app.register_blueprint(authn_blueprint)
    app.register_blueprint(consent_blueprint)
    app.register_blueprint(activation_blueprint)
    if app.config["ENV"] == "development":
        app.register_blueprint(outbox_blueprint)
    app.register_blueprint(account_blueprint)
    app.register_blueprint(register_blueprint)
    app.register_blueprint(account_passkeys_blueprint)
    app.register_blueprint(security_blueprint)
    app.register_blueprint(language.blueprint)
    pages.init_app(app)

    if check_schema:
        database.check_schema_current(app)
    return app


def _select_locale() -> str:
    from idp.pages import current_locale

    return current_locale()
