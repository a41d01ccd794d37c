"""Active sessions: where the citizen is signed in, and signing out one or all of them."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from idp.account_portal.guard import signed_in
from idp.account_portal.views import blueprint
from idp.accounts.sessions import live_sessions
from idp.oidc.logout import log_out


@blueprint.get("/sessions")
@signed_in()
def sessions() -> ResponseReturnValue:
    return render_template(
        "account/sessions.html",
        sessions=live_sessions(g.account.id),
        current=g.browser_session.sid,
        form=FlaskForm(),
    )


@blueprint.post("/sessions/end")
@signed_in()
def end_sessions() -> ResponseReturnValue:
    """End one session (``sid``), or every one (``all``): each as a logout, so the portals it
    signed in to are told by back-channel."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    chosen = request.form.get("sid", "")
    ending = [s for s in live_sessions(g.account.id) if chosen in ("all", s.sid)]
    for ended in ending:
        log_out(ended)
    if any(s.sid == g.browser_session.sid for s in ending):
        session.pop("sid", None)
        return redirect(url_for("account.signed_out"))
    return redirect(url_for("account.sessions"))
