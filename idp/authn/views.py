"""The sign-in pages: citizen-ID number and password, then the one-time code when the account
has TOTP. Every failure shows the same message, so the pages do not reveal who has an account.

A citizen who lost the phone uses a recovery code instead of the one-time code; the sign-in then
goes on only after a new password and a new authenticator app (``TransactionState.RECOVERY``,
``NEW_TOTP``), so nobody leaves a recovery with the old credentials still valid.
"""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from idp.accounts import security
from idp.accounts import service as accounts
from idp.accounts.browser import browser_binding, remember_sign_in
from idp.accounts.sessions import start_session
from idp.authn import policy, totp
from idp.authn.forms import (
    WRONG_FIRST_CODE,
    NewPasswordForm,
    OtpForm,
    PasswordForm,
    RecoveryCodeForm,
    meets_policy,
    not_current_password,
)
from idp.authn.password_policy import MIN_LENGTH
from idp.consent.catalogue import satisfies
from idp.extensions import db
from idp.models import Account, AuthorizationTransaction, TransactionState
from idp.oidc.checks import requirements
from idp.oidc.clients import find_client
from idp.oidc.transactions import FIRST_PARTY, advance, load_transaction
from idp.pages import expired_page

log = logging.getLogger(__name__)
blueprint = Blueprint("authn", __name__, url_prefix="/signin")


def N_(message: str) -> str:  # noqa: N802 (the gettext name Babel extracts by default)
    """Mark ``message`` for the catalogues; it is translated where it is shown, by ``_()``."""
    return message


GENERIC_FAILURE = N_("The details you entered are not correct. Check them and try again.")


def _finish_sign_in(
    transaction: AuthorizationTransaction,
    expected: TransactionState,
    account: Account,
    methods: list[str],
) -> ResponseReturnValue:
    """Record the sign-in of ``account`` by ``methods`` (RFC 8176 values), at the level they
    reach (``authn/policy``), and move on to consent."""
    next_page = _sign_in(transaction, expected, account, methods)
    return redirect(next_page) if next_page else expired_page()


def _sign_in(
    transaction: AuthorizationTransaction,
    expected: TransactionState,
    account: Account,
    methods: list[str],
) -> str | None:
    """``_finish_sign_in`` without the redirect: the next page, or None when the transaction
    has moved on in the meantime."""
    amr = policy.amr_for(methods)
    acr = policy.assurance(amr, account.identity_level)
    if not satisfies(acr, requirements(transaction.params).acr):
        # The account cannot reach the level this portal needs (no second factor yet).
        advance(
            transaction,
            expected,
            TransactionState.DENIED,
            account_id=account.id,
            error="unmet_authentication_requirements",
        )
        return url_for("authorize.resume", transaction_id=transaction.id)
    token, signed_in = start_session(account.id, acr=acr, amr=amr)
    remember_sign_in(token)
    if transaction.client_id == FIRST_PARTY:
        # The provider's own account pages: no portal, so nothing to consent to.
        if not advance(
            transaction,
            expected,
            TransactionState.APPROVED,
            account_id=account.id,
            browser_session_id=signed_in.id,
        ):
            return None
        return url_for("authorize.resume", transaction_id=transaction.id)
    if not advance(
        transaction,
        expected,
        TransactionState.CONSENT,
        account_id=account.id,
        browser_session_id=signed_in.id,
    ):
        return None
    return url_for("consent.decide", transaction_id=transaction.id)


@blueprint.route("/<transaction_id>", methods=["GET", "POST"])
def password(transaction_id: str) -> ResponseReturnValue:
    transaction = load_transaction(transaction_id, browser_binding(), TransactionState.LOGIN)
    if transaction is None:
        return expired_page()
    form = PasswordForm()
    error = None
    if not form.is_submitted():
        # OIDC Core §3.1.2.1 login_hint: pre-fills the number, nothing more.
        form.citizen_id.data = transaction.params.get("login_hint", "")
    if form.validate_on_submit():
        check = accounts.check_password(form.citizen_id.data.strip(), form.password.data)
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
            return _finish_sign_in(transaction, TransactionState.LOGIN, check.account, [policy.PWD])
        log.info("password refused tx=%s reason=%s", transaction.id[:8], check.reason)
        error = _(GENERIC_FAILURE)
    elif form.is_submitted():
        error = _(GENERIC_FAILURE)
    if error:
        # A refused page never carries back a citizen-ID number or a password.
        form.citizen_id.data = form.password.data = ""
    client = find_client(transaction.client_id)
    status = 200 if error is None else 401
    return render_template(
        "signin/password.html", form=form, error=error, client=client, transaction=transaction
    ), status


@blueprint.route("/<transaction_id>/otp", methods=["GET", "POST"])
def otp(transaction_id: str) -> ResponseReturnValue:
    transaction = load_transaction(transaction_id, browser_binding(), TransactionState.OTP)
    if transaction is None or transaction.account_id is None:
        return expired_page()
    account = db.session.get(Account, transaction.account_id)
    assert account is not None
    form = OtpForm()
    error = None
    if form.validate_on_submit():
        check = accounts.check_totp(account, form.otp.data)
        if check.account is not None:
            return _finish_sign_in(
                transaction, TransactionState.OTP, account, [policy.PWD, policy.OTP]
            )
        log.info("code refused tx=%s reason=%s", transaction.id[:8], check.reason)
        error = _(GENERIC_FAILURE)
    elif form.is_submitted():
        error = _(GENERIC_FAILURE)
    status = 200 if error is None else 401
    return render_template(
        "signin/otp.html", form=form, error=error, transaction=transaction
    ), status


def _signing_in(
    transaction_id: str, state: TransactionState
) -> tuple[AuthorizationTransaction, Account] | None:
    """The transaction of this browser in ``state``, and the account it has identified."""
    transaction = load_transaction(transaction_id, browser_binding(), state)
    if transaction is None or transaction.account_id is None:
        return None
    account = db.session.get(Account, transaction.account_id)
    return None if account is None else (transaction, account)


@blueprint.route("/<transaction_id>/recovery", methods=["GET", "POST"])
def recovery(transaction_id: str) -> ResponseReturnValue:
    """A recovery code in place of the one-time code (NIST SP 800-63B §5.1.2); wrong and used
    codes get the same message as any other failure."""
    found = _signing_in(transaction_id, TransactionState.OTP)
    if found is None:
        return expired_page()
    transaction, account = found
    form = RecoveryCodeForm()
    error = None
    if form.validate_on_submit():
        if security.use_recovery_code(account, form.recovery_code.data):
            log.info("recovery code accepted tx=%s", transaction.id[:8])
            if advance(transaction, TransactionState.OTP, TransactionState.RECOVERY):
                return redirect(url_for("authn.new_password", transaction_id=transaction.id))
            return expired_page()
        log.info("recovery code refused tx=%s", transaction.id[:8])
        error = _(GENERIC_FAILURE)
    elif form.is_submitted():
        error = _(GENERIC_FAILURE)
    if error:
        form.recovery_code.data = ""
    status = 200 if error is None else 401
    return render_template(
        "signin/recovery.html", form=form, error=error, transaction=transaction
    ), status


@blueprint.route("/<transaction_id>/new-password", methods=["GET", "POST"])
def new_password(transaction_id: str) -> ResponseReturnValue:
    """After a recovery code: a new password, which ends every sign-in of the account."""
    found = _signing_in(transaction_id, TransactionState.RECOVERY)
    if found is None:
        return expired_page()
    transaction, account = found
    form = NewPasswordForm()

    def is_current(candidate: str) -> bool:
        return security.is_current_password(account, candidate)

    checks = {
        "new_password": [
            meets_policy(security.personal_data(account)),
            not_current_password(is_current),
        ]
    }
    if form.validate_on_submit(extra_validators=checks):
        if not advance(transaction, TransactionState.RECOVERY, TransactionState.NEW_TOTP):
            return expired_page()
        security.change_password(account, form.new_password.data, keep=None)
        log.info("password replaced in a recovery tx=%s", transaction.id[:8])
        return redirect(url_for("authn.new_authenticator", transaction_id=transaction.id))
    return render_template(
        "signin/new_password.html", form=form, minimum=MIN_LENGTH, transaction=transaction
    ), (400 if form.errors else 200)


@blueprint.route("/<transaction_id>/new-authenticator", methods=["GET", "POST"])
def new_authenticator(transaction_id: str) -> ResponseReturnValue:
    """After the new password: a new authenticator app replaces the lost one (and the old
    recovery codes); its first code is the second factor of this sign-in."""
    found = _signing_in(transaction_id, TransactionState.NEW_TOTP)
    if found is None:
        return expired_page()
    transaction, account = found
    form = OtpForm()
    if form.validate_on_submit():
        codes = security.confirm_totp(account, form.otp.data)
        if codes is not None:
            log.info("authenticator replaced in a recovery tx=%s", transaction.id[:8])
            next_page = _sign_in(
                transaction, TransactionState.NEW_TOTP, account, [policy.PWD, policy.OTP]
            )
            if next_page is None:
                return expired_page()
            return render_template(
                "account/recovery_codes.html", codes=codes, continue_to=next_page
            )
        form.otp.errors.append(WRONG_FIRST_CODE)
    secret = security.pending_totp_secret(account)
    return render_template(
        "signin/new_authenticator.html",
        form=form,
        transaction=transaction,
        qr_code=totp.qr_code(accounts.totp_uri(account, secret)),
        secret=totp.grouped(secret),
    ), (400 if form.errors else 200)


@blueprint.post("/<transaction_id>/cancel")
def cancel(transaction_id: str) -> ResponseReturnValue:
    """The citizen gives up: the portal gets access_denied (OIDC Core §3.1.2.6)."""
    transaction = load_transaction(
        transaction_id,
        browser_binding(),
        TransactionState.LOGIN,
        TransactionState.OTP,
        TransactionState.RECOVERY,
        TransactionState.NEW_TOTP,
    )
    if transaction is None or not advance(
        transaction, transaction.state, TransactionState.DENIED, error="access_denied"
    ):
        return expired_page()
    return redirect(url_for("authorize.resume", transaction_id=transaction.id))
