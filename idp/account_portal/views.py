"""The account pages' entry: who is signed in, what they can manage, and signing out."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from idp.account_portal.guard import signed_in
from idp.oidc.logout import log_out

blueprint = Blueprint("account", __name__, url_prefix="/account")


@blueprint.get("")
@signed_in()
def index() -> ResponseReturnValue:
    return render_template("account/index.html", account=g.account, form=FlaskForm())


@blueprint.post("/sign-out")
@signed_in()
def sign_out() -> ResponseReturnValue:
    """End this sign-in everywhere it was used: the portals are told by back-channel."""
    if FlaskForm().validate_on_submit():
        log_out(g.browser_session)
        session.pop("sid", None)
        return redirect(url_for("account.signed_out"))
    return redirect(url_for("account.index"))


@blueprint.get("/signed-out")
def signed_out() -> ResponseReturnValue:
    return render_template("account/signed_out.html")
