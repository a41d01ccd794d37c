"""The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0 §2-3)."""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Blueprint, current_app, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from idp.accounts.browser import current_session
from idp.extensions import csrf
from idp.oidc.clients import find_client
from idp.oidc.hints import audiences, read_id_token_hint
from idp.oidc.logout import log_out
from idp.pages import error_page, remember_ui_locale

blueprint = Blueprint("logout", __name__)
PENDING = "pending_logout"


def _refused(reason: str) -> ResponseReturnValue:
    return error_page(
        _("This sign-out request is not valid"),
        _("The service that sent you here made a mistake: %(reason)s", reason=reason),
        400,
    )


def _after_logout(target: str | None, state: str | None) -> ResponseReturnValue:
    session.pop("sid", None)
    if target:
        return redirect(add_params_to_uri(target, [("state", state)] if state else []), 303)
    return render_template("logout/done.html")


@blueprint.route("/logout", methods=["GET", "POST"])
@csrf.exempt
def end_session() -> ResponseReturnValue:
    params = request.values
    remember_ui_locale(params.get("ui_locales", ""))
    hint = None
    if params.get("id_token_hint"):
        try:
            hint = read_id_token_hint(params["id_token_hint"], issuer=current_app.config["ISSUER"])
        except OAuth2Error as error:
            return _refused(error.get_error_description())
    client_id = params.get("client_id")
    if hint is not None and client_id and client_id not in audiences(hint):
        return _refused("'client_id' is not the audience of 'id_token_hint'")
    client_id = client_id or (audiences(hint)[0] if hint and audiences(hint) else None)
    client = find_client(client_id) if client_id else None
    target = params.get("post_logout_redirect_uri")
    # §3: the redirect must be registered for the client, matched exactly, or nothing happens.
    if target and (client is None or target not in client.post_logout_redirect_uris):
        return _refused("'post_logout_redirect_uri' is not registered for this service")

    signed_in = current_session()
    if signed_in is None:
        return _after_logout(target, params.get("state"))
    if hint is not None and hint.get("sid") == signed_in.sid:
        log_out(signed_in)
        return _after_logout(target, params.get("state"))
    # §2: without a hint that names this session, the citizen confirms (a forged link must not
    # sign anyone out).
    session[PENDING] = {"target": target, "state": params.get("state")}
    return render_template("logout/confirm.html", form=FlaskForm(), client=client)


@blueprint.post("/logout/confirm")
def confirm() -> ResponseReturnValue:
    pending = session.pop(PENDING, None)
    form = FlaskForm()
    if not form.validate_on_submit() or not isinstance(pending, dict):
        return _refused(_("the sign-out was not confirmed"))
    if request.form.get("decision") != "logout":
        return render_template("logout/done.html", stayed=True)
    signed_in = current_session()
    if signed_in is not None:  # already ended (another tab, idle expiry): nothing left to end
        log_out(signed_in)
    return _after_logout(pending.get("target"), pending.get("state"))
