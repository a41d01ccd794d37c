"""The sign-in pages: citizen-ID number and password, then the one-time code when the account
has TOTP. Every failure shows the same message, so the pages do not reveal who has an account;
so does every lock-out (they are kept per number typed, known or not)."""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from idp.accounts import service as accounts
from idp.accounts.browser import browser_binding, remember_sign_in
from idp.accounts.sessions import start_session
from idp.authn import throttle
from idp.authn.forms import OtpForm, PasswordForm
from idp.authn.throttle import Lockout
from idp.consent.catalogue import satisfies
from idp.extensions import db
from idp.models import Account, AuthorizationTransaction, TransactionState
from idp.oidc.checks import requirements
from idp.oidc.clients import find_client
from idp.oidc.transactions import advance, load_transaction
from idp.pages import expired_page, locked_out_message, retry_after, too_many_failures_page

log = logging.getLogger(__name__)
blueprint = Blueprint("authn", __name__, url_prefix="/signin")


def N_(message: str) -> str:  # noqa: N802 (the gettext name Babel extracts by default)
    """Mark ``message`` for the catalogues; it is translated where it is shown, by ``_()``."""
    return message


GENERIC_FAILURE = N_("The details you entered are not correct. Check them and try again.")


def _refusal(lockout: Lockout | None) -> tuple[str, int, dict[str, str]]:
    """The message, status and headers of a refused attempt: a lock-out says until when."""
    if lockout is None:
        return _(GENERIC_FAILURE), 401, {}
    return locked_out_message(lockout.until), 429, retry_after(lockout.until)


def _finish_sign_in(
    transaction: AuthorizationTransaction,
    expected: TransactionState,
    account: Account,
    *,
    acr: str,
    amr: list[str],
) -> ResponseReturnValue:
    if not satisfies(acr, requirements(transaction.params).acr):
        # The account cannot reach the level this portal needs (no second factor yet).
        advance(
            transaction,
            expected,
            TransactionState.DENIED,
            account_id=account.id,
            error="unmet_authentication_requirements",
        )
        return redirect(url_for("authorize.resume", transaction_id=transaction.id))
    token, signed_in = start_session(account.id, acr=acr, amr=amr)
    remember_sign_in(token)
    if not advance(
        transaction,
        expected,
        TransactionState.CONSENT,
        account_id=account.id,
        browser_session_id=signed_in.id,
    ):
        return expired_page()
    return redirect(url_for("consent.decide", transaction_id=transaction.id))


@blueprint.route("/<transaction_id>", methods=["GET", "POST"])
def password(transaction_id: str) -> ResponseReturnValue:
    transaction = load_transaction(transaction_id, browser_binding(), TransactionState.LOGIN)
    if transaction is None:
        return expired_page()
    form = PasswordForm()
    error: str | None = None
    status = 200
    headers: dict[str, str] = {}
    if not form.is_submitted():
        # OIDC Core §3.1.2.1 login_hint: pre-fills the number, nothing more.
        form.citizen_id.data = transaction.params.get("login_hint", "")
    if form.validate_on_submit():
        if blocked := throttle.check_address(request.remote_addr):
            return too_many_failures_page(blocked.until)
        check = accounts.check_password(
            form.citizen_id.data.strip(), form.password.data, address=request.remote_addr
        )
        if check.account is not None:
            log.info("password accepted tx=%s", transaction.id[:8])
            needed = requirements(transaction.params).acr
            # Ask for the second factor only when the portal needs more than one (loa1).
            if accounts.has_second_factor(check.account) and not satisfies("loa1", needed):
                if advance(
                    transaction,
                    TransactionState.LOGIN,
                    TransactionState.OTP,
                    account_id=check.account.id,
                ):
                    return redirect(url_for("authn.otp", transaction_id=transaction.id))
                return expired_page()
            return _finish_sign_in(
                transaction, TransactionState.LOGIN, check.account, acr="loa1", amr=["pwd"]
            )
        log.info("password refused tx=%s reason=%s", transaction.id[:8], check.reason)
        error, status, headers = _refusal(check.lockout)
    elif form.is_submitted():
        error, status = _(GENERIC_FAILURE), 401
    if error:
        # A refused page never carries back a citizen-ID number or a password.
        form.citizen_id.data = form.password.data = ""
    client = find_client(transaction.client_id)
    return (
        render_template(
            "signin/password.html", form=form, error=error, client=client, transaction=transaction
        ),
        status,
        headers,
    )


@blueprint.route("/<transaction_id>/otp", methods=["GET", "POST"])
def otp(transaction_id: str) -> ResponseReturnValue:
    transaction = load_transaction(transaction_id, browser_binding(), TransactionState.OTP)
    if transaction is None or transaction.account_id is None:
        return expired_page()
    account = db.session.get(Account, transaction.account_id)
    assert account is not None
    form = OtpForm()
    error: str | None = None
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        if blocked := throttle.check_address(request.remote_addr):
            return too_many_failures_page(blocked.until)
        check = accounts.check_totp(account, form.otp.data, address=request.remote_addr)
        if check.account is not None:
            return _finish_sign_in(
                transaction, TransactionState.OTP, account, acr="loa2", amr=["pwd", "otp", "mfa"]
            )
        log.info("code refused tx=%s reason=%s", transaction.id[:8], check.reason)
        error, status, headers = _refusal(check.lockout)
    elif form.is_submitted():
        error, status = _(GENERIC_FAILURE), 401
    return (
        render_template("signin/otp.html", form=form, error=error, transaction=transaction),
        status,
        headers,
    )


@blueprint.post("/<transaction_id>/cancel")
def cancel(transaction_id: str) -> ResponseReturnValue:
    """The citizen gives up: the portal gets access_denied (OIDC Core §3.1.2.6)."""
    transaction = load_transaction(
        transaction_id, browser_binding(), TransactionState.LOGIN, TransactionState.OTP
    )
    if transaction is None or not advance(
        transaction, transaction.state, TransactionState.DENIED, error="access_denied"
    ):
        return expired_page()
    return redirect(url_for("authorize.resume", transaction_id=transaction.id))
