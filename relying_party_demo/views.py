"""The portal's pages: home, sign-in and its callback, the citizen's verified data, sign-out."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from relying_party_demo import display
from relying_party_demo.csrf import csrf_token, is_valid_csrf_token
from relying_party_demo.messages import (
    PAGE_ERROR_HINT,
    PAGE_ERRORS,
    SIGN_IN_FAILED,
    SIGN_OUT_FAILED,
    Message,
    error_message,
)
from relying_party_demo.signin import SignInError, complete_sign_in, start_sign_in

log = logging.getLogger(__name__)

blueprint = Blueprint("portal", __name__)

# The session holds what was verified, never the tokens themselves.
VERIFIED_CLAIMS_KEY = "id_token_claims"
USERINFO_KEY = "userinfo"

# The three facts a public service asks first, shown above the full tables.
SUMMARY_CLAIMS = ("name", "birthdate", "citizen_id")


@dataclass(frozen=True, slots=True)
class Citizen:
    """The signed-in citizen as the provider vouched for them."""

    id_token_claims: dict[str, Any]
    userinfo: dict[str, Any]

    def claim(self, name: str) -> Any:
        """A claim from UserInfo, else from the ID token, else ``None``."""
        if name in self.userinfo:
            return self.userinfo[name]
        return self.id_token_claims.get(name)


def signed_in_citizen() -> Citizen | None:
    claims = session.get(VERIFIED_CLAIMS_KEY)
    userinfo = session.get(USERINFO_KEY)
    if not isinstance(claims, dict) or not isinstance(userinfo, dict):
        return None
    return Citizen(id_token_claims=claims, userinfo=userinfo)


@blueprint.get("/")
def home() -> ResponseReturnValue:
    return render_template("home.html")


@blueprint.get("/login")
def login() -> ResponseReturnValue:
    try:
        return start_sign_in()
    except SignInError as error:
        return _sign_in_error_page(error)


@blueprint.get("/callback")
def callback() -> ResponseReturnValue:
    try:
        result = complete_sign_in()
    except SignInError as error:
        return _sign_in_error_page(error)
    # A new session for the signed-in citizen (fixation defence); nothing from before carries over.
    session.clear()
    session[VERIFIED_CLAIMS_KEY] = result.id_token_claims
    session[USERINFO_KEY] = result.userinfo
    return redirect(url_for("portal.me"), 303)


@blueprint.get("/me")
def me() -> ResponseReturnValue:
    citizen = signed_in_citizen()
    if citizen is None:
        return redirect(url_for("portal.home"))
    return render_template("me.html", summary_claims=SUMMARY_CLAIMS)


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    if not is_valid_csrf_token(request.form.get("csrf_token")):
        return _error_page(
            SIGN_OUT_FAILED, error_message("invalid_csrf_token"), 400, code="invalid_csrf_token"
        )
    # Local sign-out only: the citizen's session at the provider is left as it is.
    session.clear()
    return redirect(url_for("portal.home"), 303)


def _sign_in_error_page(error: SignInError) -> ResponseReturnValue:
    return _error_page(
        SIGN_IN_FAILED,
        error_message(error.code),
        error.status,
        code=error.code,
        detail=error.detail,
    )


def _error_page(
    title: Message,
    message: Message,
    status: int,
    *,
    code: str | None = None,
    detail: str | None = None,
) -> ResponseReturnValue:
    """A page a person can read, with a reference id that the log carries too."""
    reference = secrets.token_hex(6)
    log.info("error page code=%s status=%s ref=%s detail=%r", code, status, reference, detail)
    page = render_template(
        "error.html", title=title, message=message, code=code, detail=detail, reference=reference
    )
    return page, status


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.add_template_filter(display.format_birthdate, "birthdate")
    app.add_template_filter(display.format_claim_value, "claim_value")
    app.add_template_test(display.is_structured, "structured")
    app.add_template_global(display.claim_label)
    app.add_template_global(csrf_token)

    @app.context_processor
    def citizen_context() -> dict[str, Any]:
        return {"citizen": signed_in_citizen()}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        title = PAGE_ERRORS.get(status, PAGE_ERRORS[500])
        return _error_page(title, PAGE_ERROR_HINT, status, code=str(status))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> ResponseReturnValue:
        log.exception("unexpected error")
        title = PAGE_ERRORS[500]
        return _error_page(title, error_message("server_error"), 500, code="500")
