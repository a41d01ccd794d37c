"""What every page shares: language choice, security headers and error pages."""

from __future__ import annotations

import logging
import math
import secrets
from datetime import datetime
from urllib.parse import quote

from flask import Flask, Response, current_app, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_time, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from idp import clock

log = logging.getLogger(__name__)

LOCALES = ("vi", "en")
#: Each language named in itself, as the switcher shows it.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
#: The long-lived cookie that remembers the language a citizen chose with the switcher, so the
#: choice outlives the session cookie (sign-out, a closed browser).
LOCALE_COOKIE = "idp_locale"

# No inline script or style anywhere; portals are reached by redirects, which form-action would
# block in some browsers, so it is left to default.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def current_locale() -> str:
    """The pages' language: the one the citizen chose with the switcher, else the one a
    portal's ``ui_locales`` asked for in this session (a hint about the citizen that their own
    choice overrides), else the browser's, else ``IDP_DEFAULT_LOCALE``."""
    for chosen in (request.cookies.get(LOCALE_COOKIE), session.get("locale")):
        if chosen in LOCALES:
            return str(chosen)
    return request.accept_languages.best_match(LOCALES) or current_app.config["DEFAULT_LOCALE"]


def language_return_to() -> str:
    """Where the switcher comes back to: this page, when it can be fetched again (a GET with
    its query), else the account pages."""
    if request.method == "GET":
        query = request.query_string.decode("latin-1")
        return quote(request.path) + (f"?{query}" if query else "")
    if request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        return quote(request.path)
    return url_for("account.index")


def remember_ui_locale(ui_locales: str) -> None:
    """OIDC Core §3.1.2.1 ``ui_locales``: the first supported language the portal names."""
    for tag in ui_locales.split():
        language = tag.split("-")[0].lower()
        if language in LOCALES:
            session["locale"] = language
            return


def error_page(title: str, message: str, status: int) -> tuple[str, int]:
    """A page for the citizen, with a reference id that the log carries too."""
    reference = secrets.token_hex(6)
    log.info("error page %s status=%s ref=%s", title, status, reference)
    return render_template("error.html", title=title, message=message, reference=reference), status


def expired_page() -> tuple[str, int]:
    """The answer to a sign-in step that is unknown, expired, already done or not this browser's."""
    return error_page(
        _("This sign-in has expired"),
        _("Please go back to the service and start signing in again."),
        400,
    )


def _retry_placeholders(until: datetime) -> dict[str, str]:
    """When a refused citizen may try again, in the page's language and ``IDP_TIMEZONE``: the
    ``time`` ("16:07") and ``wait`` ("in 2 minutes") of the messages that say so."""
    return {
        "time": format_time(until, "short"),
        "wait": format_timedelta(until - clock.now(), add_direction=True),
    }


def retry_after(until: datetime) -> dict[str, str]:
    """The ``Retry-After`` header (RFC 9110 §10.2.3) of a refusal that lasts until ``until``."""
    seconds = math.ceil((until - clock.now()).total_seconds())
    return {"Retry-After": str(max(1, seconds))}


def locked_out_message(until: datetime) -> str:
    """What a sign-in form says during a lock-out: the same whether or not the account exists."""
    return str(
        _(
            "Too many attempts have failed. For your security, you can try again at %(time)s "
            "(%(wait)s).",
            **_retry_placeholders(until),
        )
    )


def too_many_failures_page(until: datetime) -> ResponseReturnValue:
    """The answer to a sign-in from an address that has failed too often (RFC 6585 §4)."""
    page, status = error_page(
        _("Too many failed sign-ins"),
        _(
            "Too many sign-ins have failed from your network. You can try again at %(time)s "
            "(%(wait)s).",
            **_retry_placeholders(until),
        ),
        429,
    )
    return page, status, retry_after(until)


def busy_page(retry_after: int) -> ResponseReturnValue:
    """The answer to a sign-in beyond the hashing queue (``authn/hashing``): refused at once,
    having changed nothing, rather than left to wait (RFC 9110 §15.6.4, §10.2.3)."""
    page, status = error_page(
        _("The service is busy"),
        _(
            "Many people are signing in at this moment and your request could not be "
            "handled. Nothing has been changed: please try again in a few seconds."
        ),
        503,
    )
    return page, status, {"Retry-After": str(retry_after)}


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# Werkzeug names its errors in English only; these are the ones a citizen may meet.
HTTP_ERROR_TITLES = {
    400: _l("Bad Request"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    413: _l("Request Entity Too Large"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}


def http_error_title(error: HTTPException) -> str:
    return str(HTTP_ERROR_TITLES.get(error.code or 0, error.name))


def http_error_page(error: HTTPException) -> tuple[str, int]:
    return error_page(http_error_title(error), _("The page could not be shown."), error.code or 500)


def init_app(app: Flask) -> None:
    app.after_request(_security_headers)
    app.context_processor(
        lambda: {
            "current_locale": current_locale,
            "language_names": LANGUAGE_NAMES,
            "language_return_to": language_return_to,
        }
    )

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        return error_page(
            _("This form has expired"),
            _("Please go back to the service and start signing in again."),
            400,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        return error_page(
            http_error_title(error), _("The page could not be shown."), error.code or 500
        )

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        log.exception("unexpected error")
        return error_page(_("Something went wrong"), _("Please try again in a few minutes."), 500)
