"""The sign-in pages: citizen-ID number and password, then the second factor (a one-time code or
a passkey) when the portal needs it; or a passkey alone. Every failure shows the same message, so
the pages do not reveal who has an account."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from idp.accounts import passkeys
from idp.accounts import service as accounts
from idp.accounts.browser import browser_binding, remember_sign_in
from idp.accounts.sessions import start_session
from idp.authn import policy, webauthn
from idp.authn.forms import OtpForm, PasswordForm
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
PASSKEY_FAILURE = N_("This passkey could not be used. Try again, or sign in another way.")
PASSKEY_SUSPENDED = N_(
    "This passkey has been suspended because it may have been copied. Sign in another way, "
    "then check the passkeys in your account."
)


def _finish_sign_in(
    transaction: AuthorizationTransaction,
    expected: TransactionState,
    account: Account,
    methods: list[str],
) -> ResponseReturnValue:
    """Record the sign-in of ``account`` by ``methods`` (RFC 8176 values), at the level they
    reach (``authn/policy``), and move on to consent."""
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
        return redirect(url_for("authorize.resume", transaction_id=transaction.id))
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
            return expired_page()
        return redirect(url_for("authorize.resume", transaction_id=transaction.id))
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
    return _password_page(transaction, form, error)


def _password_page(
    transaction: AuthorizationTransaction, form: PasswordForm, error: str | None
) -> ResponseReturnValue:
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
    return _second_factor_page(transaction, account, form, error)


def _reaches(transaction: AuthorizationTransaction, account: Account, methods: list[str]) -> bool:
    """Whether a sign-in of ``account`` by ``methods`` meets what this authorization needs."""
    acr = policy.assurance(policy.amr_for(methods), account.identity_level)
    return satisfies(acr, requirements(transaction.params).acr)


def _second_factor_page(
    transaction: AuthorizationTransaction, account: Account, form: OtpForm, error: str | None
) -> ResponseReturnValue:
    has_passkeys = passkeys.has_passkeys(account.id)
    # When only a passkey can reach the level asked (loa3), the code is not offered beside it.
    has_totp = account.totp_secret_sealed is not None and (
        not has_passkeys or _reaches(transaction, account, [policy.PWD, policy.OTP])
    )
    status = 200 if error is None else 401
    return render_template(
        "signin/otp.html",
        form=form,
        error=error,
        transaction=transaction,
        has_totp=has_totp,
        has_passkeys=has_passkeys,
    ), status


def _second_factor_account(transaction: AuthorizationTransaction) -> Account | None:
    """The account that gave its password in this authorization, when a passkey is its second
    factor; None when the passkey is the only one."""
    if transaction.state is TransactionState.LOGIN or transaction.account_id is None:
        return None
    return db.session.get(Account, transaction.account_id)


def _passkey_methods(signed_in: passkeys.PasskeySignIn) -> list[str]:
    """RFC 8176 §2: a device-bound passkey is a hardware-secured key (hwk); a synced one,
    which the citizen's passkey provider copies between their devices, a software-secured key
    (swk); ``user`` when the authenticator verified the citizen (WebAuthn's UV flag)."""
    key = policy.SWK if signed_in.backup_eligible else policy.HWK
    return [key, policy.USER] if signed_in.user_verified else [key]


@blueprint.post("/<transaction_id>/passkey/options")
def passkey_options(transaction_id: str) -> ResponseReturnValue:
    """``navigator.credentials.get()`` options for this authorization, as JSON; the CSRF
    token comes in the ``X-CSRFToken`` header."""
    transaction = load_transaction(
        transaction_id, browser_binding(), TransactionState.LOGIN, TransactionState.OTP
    )
    if transaction is None:
        return jsonify(error=_("This sign-in has expired")), 400
    account = _second_factor_account(transaction)
    return jsonify(
        passkeys.sign_in_options(
            binding=browser_binding(),
            transaction_id=transaction.id,
            account=account,
            # After the password, user verification is asked for only when the level needs it.
            require_user_verification=account is None
            or not _reaches(transaction, account, [policy.PWD, policy.HWK]),
        )
    )


@blueprint.post("/<transaction_id>/passkey")
def passkey(transaction_id: str) -> ResponseReturnValue:
    """The passkey's answer, posted by passkeys.js as a form: alone on the password page, or
    as the second factor after the password."""
    transaction = load_transaction(
        transaction_id, browser_binding(), TransactionState.LOGIN, TransactionState.OTP
    )
    if transaction is None:
        return expired_page()
    account = _second_factor_account(transaction)
    if transaction.state is TransactionState.OTP and account is None:
        return expired_page()
    error = _(PASSKEY_FAILURE)
    credential = webauthn.response_from_json(request.form.get("credential", ""))
    if credential is not None:
        try:
            signed_in = passkeys.authenticate(
                credential,
                binding=browser_binding(),
                transaction_id=transaction.id,
                account=account,
            )
        except passkeys.PasskeyError as refused:
            log.info("passkey refused tx=%s reason=%s", transaction.id[:8], refused.reason)
            if refused.reason in ("suspended", "counter_regressed"):
                error = _(PASSKEY_SUSPENDED)
        else:
            log.info("passkey accepted tx=%s", transaction.id[:8])
            methods = _passkey_methods(signed_in)
            if account is not None:
                methods = [policy.PWD, *methods]
            return _finish_sign_in(transaction, transaction.state, signed_in.account, methods)
    if account is None:
        return _password_page(transaction, PasswordForm(formdata=None), error)
    return _second_factor_page(transaction, account, OtpForm(formdata=None), error)


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
