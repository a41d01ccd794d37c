"""The citizen's security pages (``/account/security``): the password, the authenticator app
for one-time codes and the recovery codes. Looking needs a sign-in; every change needs a recent
one (``guard.signed_in(recent=True)``)."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from idp.account_portal.guard import signed_in
from idp.accounts import security
from idp.accounts.service import has_totp, totp_uri
from idp.authn import totp
from idp.authn.forms import (
    WRONG_FIRST_CODE,
    ChangePasswordForm,
    OtpForm,
    is_current_password,
    meets_policy,
    not_current_password,
)
from idp.authn.password_policy import MIN_LENGTH

log = logging.getLogger(__name__)
blueprint = Blueprint("security", __name__, url_prefix="/account/security")


@blueprint.get("")
@signed_in()
def overview() -> ResponseReturnValue:
    account = g.account
    return render_template(
        "account/security.html",
        account=account,
        has_totp=has_totp(account),
        codes_left=security.recovery_codes_left(account),
    )


@blueprint.route("/password", methods=["GET", "POST"])
@signed_in(recent=True)
def password() -> ResponseReturnValue:
    """NIST SP 800-63B §5.1.1.2: a change needs the current password; the new one meets the
    policy; the other sign-ins end, since the old password may be known to someone else."""
    account = g.account
    form = ChangePasswordForm()

    def is_current(candidate: str) -> bool:
        return security.is_current_password(account, candidate)

    checks = {
        "current_password": [is_current_password(is_current)],
        "new_password": [
            meets_policy(security.personal_data(account)),
            not_current_password(is_current),
        ],
    }
    if form.validate_on_submit(extra_validators=checks):
        password_hash = security.new_password_hash(form.new_password.data)
        security.change_password(account, password_hash, keep=g.browser_session)
        log.info("password changed account=%s", account.id)
        flash(_("Your password is changed. You are signed out everywhere else."))
        return redirect(url_for("security.overview"))
    return render_template("account/password.html", form=form, minimum=MIN_LENGTH), (
        400 if form.errors else 200
    )


@blueprint.route("/totp", methods=["GET", "POST"])
@signed_in(recent=True)
def enrol_totp() -> ResponseReturnValue:
    """Set up an authenticator app (or move to a new one): a QR code and the secret, then a
    first code from the app proves it holds the secret."""
    account = g.account
    form = OtpForm()
    if form.validate_on_submit():
        codes = security.confirm_totp(account, form.otp.data)
        if codes is not None:
            log.info("authenticator set up account=%s", account.id)
            return render_template(
                "account/recovery_codes.html", codes=codes, continue_to=url_for(".overview")
            )
        form.otp.errors.append(WRONG_FIRST_CODE)
    secret = security.pending_totp_secret(account)
    return render_template(
        "account/totp.html",
        form=form,
        replacing=has_totp(account),
        qr_code=totp.qr_code(totp_uri(account, secret)),
        secret=totp.grouped(secret),
    ), (400 if form.errors else 200)


@blueprint.post("/totp/remove")
@signed_in(recent=True)
def remove_totp() -> ResponseReturnValue:
    if FlaskForm().validate_on_submit() and has_totp(g.account):
        security.remove_totp(g.account)
        log.info("authenticator removed account=%s", g.account.id)
        flash(_("The authenticator app is removed, and so are your recovery codes."))
    return redirect(url_for(".overview"))


@blueprint.post("/recovery-codes")
@signed_in(recent=True)
def regenerate_recovery_codes() -> ResponseReturnValue:
    """New recovery codes, shown once; only with an authenticator app, which they stand in for."""
    if not (FlaskForm().validate_on_submit() and has_totp(g.account)):
        return redirect(url_for(".overview"))
    codes = security.regenerate_recovery_codes(g.account)
    log.info("recovery codes replaced account=%s", g.account.id)
    return render_template(
        "account/recovery_codes.html", codes=codes, continue_to=url_for(".overview")
    )
