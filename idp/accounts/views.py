"""The activation pages (``/activate``): registry details, the code sent to the registry
contact, a new password. Thin views over :mod:`idp.accounts.activation`; the browser's cookie
holds only the request's random handle."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from idp.accounts import activation
from idp.accounts.forms import CodeForm, DetailsForm, NewPasswordForm
from idp.authn.password_policy import MIN_LENGTH
from idp.pages import current_locale

blueprint = Blueprint("activation", __name__, url_prefix="/activate")

HANDLE = "activation"
DONE = "activation_done"
# The sign-in the citizen came from, offered again at the end (its id is in that page's URL).
RETURN_TO = "activation_signin"


def _start_again(status: int = 400) -> ResponseReturnValue:
    return render_template("activate/again.html"), status


@blueprint.route("", methods=["GET", "POST"])
def start() -> ResponseReturnValue:
    signin = request.args.get("signin", "")
    if signin.isascii() and 0 < len(signin) <= 64:
        session[RETURN_TO] = signin
    form = DetailsForm()
    if form.validate_on_submit():
        started = activation.request_code(
            form.citizen_id.data,
            form.birth_date.data,
            form.full_name.data,
            language=current_locale(),
        )
        session[HANDLE] = started.handle
        return redirect(url_for("activation.code"))
    if form.is_submitted():
        form.citizen_id.data = ""  # a refused page never carries back a citizen-ID number
        return render_template("activate/details.html", form=form), 400
    return render_template("activate/details.html", form=form)


@blueprint.route("/code", methods=["GET", "POST"])
def code() -> ResponseReturnValue:
    pending = activation.find_request(session.get(HANDLE))
    if pending is None:
        return _start_again()
    if pending.state == activation.State.CONFIRMED:
        return redirect(url_for("activation.password"))
    if pending.state != activation.State.PENDING:
        return _start_again()
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        check = activation.confirm_code(session.get(HANDLE), form.otp.data)
        if check is activation.CodeCheck.ACCEPTED:
            return redirect(url_for("activation.password"))
        if check is activation.CodeCheck.UNUSABLE:
            return _start_again()
        error = _("The code is not correct. Check it and try again.")
    elif form.is_submitted():
        error = _("The code is not correct. Check it and try again.")
    form.otp.data = ""
    return render_template(
        "activate/code.html", form=form, error=error, masked_contact=pending.masked_contact
    ), (200 if error is None else 401)


@blueprint.route("/password", methods=["GET", "POST"])
def password() -> ResponseReturnValue:
    pending = activation.find_request(session.get(HANDLE))
    if pending is None or pending.state != activation.State.CONFIRMED:
        return _start_again()
    form = NewPasswordForm()
    problems: tuple[str, ...] = ()
    if form.validate_on_submit():
        done = activation.complete(
            session.get(HANDLE), form.password.data, language=current_locale()
        )
        if done.account is not None:
            session.pop(HANDLE, None)
            session[DONE] = True
            return redirect(url_for("activation.done"))
        if done.expired:
            return _start_again()
        problems = done.problems
    elif form.is_submitted():
        problems = tuple(str(e) for errors in form.errors.values() for e in errors)
    return render_template(
        "activate/password.html",
        form=form,
        problems=problems,
        error=bool(problems),
        minimum=MIN_LENGTH,
    ), (400 if problems else 200)


@blueprint.get("/done")
def done() -> ResponseReturnValue:
    if not session.pop(DONE, False):
        return redirect(url_for("activation.start"))
    signin = session.pop(RETURN_TO, None)
    return render_template("activate/done.html", signin=signin)
