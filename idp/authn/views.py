"""The sign-in pages: citizen-ID number and password, then the second factor (a one-time code or
a passkey) when the portal needs it; or a passkey alone. Every failure shows the same message, so
the pages do not reveal who has an account; so does every lock-out (they are kept per number
typed, known or not).

A citizen who lost the phone uses a recovery code instead of the one-time code; the sign-in then
goes on only after a new password and a new authenticator app (``TransactionState.RECOVERY``,
``NEW_TOTP``), so nobody leaves a recovery with the old credentials still valid.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from idp.accounts import passkeys, security
from idp.accounts import service as accounts
from idp.accounts.browser import browser_binding, current_session, remember_sign_in
from idp.accounts.devices import describe_browser, truncate_address
from idp.accounts.sessions import start_session
from idp.audit.events import Event
from idp.audit.ledger import Detail, record
from idp.authn import policy, throttle, totp, webauthn
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
from idp.authn.throttle import Lockout
from idp.consent.catalogue import satisfies
from idp.extensions import db
from idp.models import Account, AuthorizationTransaction, TransactionState
from idp.oidc.checks import requirements
from idp.oidc.clients import find_client
from idp.oidc.transactions import FIRST_PARTY, advance, load_transaction
from idp.pages import expired_page, locked_out_message, retry_after, too_many_failures_page
from idp.population.citizen_id import is_well_formed

log = logging.getLogger(__name__)
blueprint = Blueprint("authn", __name__, url_prefix="/signin")


def N_(message: str) -> str:  # noqa: N802 (the gettext name Babel extracts by default)
    """Mark ``message`` for the catalogues; it is translated where it is shown, by ``_()``."""
    return message


def _method_name(methods: list[str]) -> str:
    """How the ledger names the last step of a sign-in, by the RFC 8176 values it performed."""
    if {policy.HWK, policy.SWK} & set(methods):
        return "passkey"
    return "otp" if policy.OTP in methods else "password"


GENERIC_FAILURE = N_("The details you entered are not correct. Check them and try again.")
PASSKEY_FAILURE = N_("This passkey could not be used. Try again, or sign in another way.")
PASSKEY_SUSPENDED = N_(
    "This passkey has been suspended because it may have been copied. Sign in another way, "
    "then check the passkeys in your account."
)


def _refusal(lockout: Lockout | None) -> tuple[str, int, dict[str, str]]:
    """The message, status and headers of a refused attempt: a lock-out says until when."""
    if lockout is None:
        return _(GENERIC_FAILURE), 401, {}
    return locked_out_message(lockout.until), 429, retry_after(lockout.until)


def _record_sign_in(
    event: Event,
    transaction: AuthorizationTransaction,
    *,
    account_id: int | None = None,
    citizen_id: str | None = None,
    **details: Detail,
) -> None:
    record(
        event,
        account_id=account_id,
        citizen_id=citizen_id,
        client_id=transaction.client_id,
        details={**details, **_client_details()},
    )


def _client_details() -> dict[str, str]:
    """The browser and network of this request, as the citizen is shown them (accounts/devices)."""
    return {
        "browser": describe_browser(request.headers.get("User-Agent", "")),
        "network": truncate_address(request.remote_addr),
    }


def _finish_sign_in(
    transaction: AuthorizationTransaction,
    expected: TransactionState,
    account: Account,
    methods: list[str],
    event: Event = Event.SIGNIN_SUCCESS,
) -> ResponseReturnValue:
    """Record the sign-in of ``account`` by ``methods`` (RFC 8176 values), at the level they
    reach (``authn/policy``), and move on to consent."""
    next_page = _sign_in(transaction, expected, account, methods, event)
    return redirect(next_page) if next_page else expired_page()


def _sign_in(
    transaction: AuthorizationTransaction,
    expected: TransactionState,
    account: Account,
    methods: list[str],
    event: Event = Event.SIGNIN_SUCCESS,
) -> str | None:
    """``_finish_sign_in`` without the redirect: the next page, or None when the transaction
    has moved on in the meantime."""
    amr = policy.amr_for(methods)
    acr = policy.assurance(amr, account.identity_level)
    method = _method_name(methods)
    if not satisfies(acr, requirements(transaction.params).acr):
        # The account cannot reach the level this portal needs (no second factor yet).
        if advance(
            transaction,
            expected,
            TransactionState.DENIED,
            account_id=account.id,
            error="unmet_authentication_requirements",
        ):
            _record_sign_in(
                Event.SIGNIN_FAILURE,
                transaction,
                account_id=account.id,
                method=method,
                reason="unmet_authentication_requirements",
            )
        return url_for("authorize.resume", transaction_id=transaction.id)
    token, signed_in = start_session(account.id, acr=acr, amr=amr, **_client_details())
    remember_sign_in(token)
    # The provider's own account pages have no portal, so nothing to consent to.
    first_party = transaction.client_id == FIRST_PARTY
    if not advance(
        transaction,
        expected,
        TransactionState.APPROVED if first_party else TransactionState.CONSENT,
        account_id=account.id,
        browser_session_id=signed_in.id,
    ):
        return None
    _record_sign_in(
        event,
        transaction,
        account_id=account.id,
        method=method,
        acr=acr,
        amr=amr,
        sid=signed_in.sid,
    )
    if first_party:
        return url_for("authorize.resume", transaction_id=transaction.id)
    return url_for("consent.decide", transaction_id=transaction.id)


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
            return _finish_sign_in(transaction, TransactionState.LOGIN, check.account, [policy.PWD])
        log.info("password refused tx=%s reason=%s", transaction.id[:8], check.reason)
        typed = form.citizen_id.data.strip()
        _record_sign_in(
            Event.SIGNIN_FAILURE,
            transaction,
            citizen_id=typed if is_well_formed(typed) else None,
            method="password",
            reason=check.reason,
        )
        error, status, headers = _refusal(check.lockout)
    elif form.is_submitted():
        error, status = _(GENERIC_FAILURE), 401
    return _password_page(transaction, form, error, status, headers)


def _password_page(
    transaction: AuthorizationTransaction,
    form: PasswordForm,
    error: str | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> ResponseReturnValue:
    if error:
        # A refused page never carries back a citizen-ID number or a password.
        form.citizen_id.data = form.password.data = ""
    client = find_client(transaction.client_id)
    return (
        render_template(
            "signin/password.html", form=form, error=error, client=client, transaction=transaction
        ),
        status,
        headers or {},
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
            # A citizen already signed in (at loa1) who adds the code is stepping up.
            signed_in = current_session()
            stepped_up = signed_in is not None and signed_in.account_id == account.id
            return _finish_sign_in(
                transaction,
                TransactionState.OTP,
                account,
                [policy.PWD, policy.OTP],
                event=Event.STEPUP_SUCCESS if stepped_up else Event.SIGNIN_SUCCESS,
            )
        log.info("code refused tx=%s reason=%s", transaction.id[:8], check.reason)
        _record_sign_in(
            Event.SIGNIN_FAILURE,
            transaction,
            account_id=account.id,
            method="otp",
            reason=check.reason,
        )
        error, status, headers = _refusal(check.lockout)
    elif form.is_submitted():
        error, status = _(GENERIC_FAILURE), 401
    return _second_factor_page(transaction, account, form, error, status, headers)


def _reaches(transaction: AuthorizationTransaction, account: Account, methods: list[str]) -> bool:
    """Whether a sign-in of ``account`` by ``methods`` meets what this authorization needs."""
    acr = policy.assurance(policy.amr_for(methods), account.identity_level)
    return satisfies(acr, requirements(transaction.params).acr)


def _second_factor_page(
    transaction: AuthorizationTransaction,
    account: Account,
    form: OtpForm,
    error: str | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> ResponseReturnValue:
    has_passkeys = passkeys.has_passkeys(account.id)
    # When only a passkey can reach the level asked (loa3), the code is not offered beside it.
    has_totp = account.totp_secret_sealed is not None and (
        not has_passkeys or _reaches(transaction, account, [policy.PWD, policy.OTP])
    )
    return (
        render_template(
            "signin/otp.html",
            form=form,
            error=error,
            transaction=transaction,
            has_totp=has_totp,
            has_passkeys=has_passkeys,
        ),
        status,
        headers or {},
    )


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
    as the second factor after the password. An answer is a signature, which cannot be guessed,
    so a refused one starts no lock-out (NIST SP 800-63B §5.2.2 is about secrets that can be);
    an address over its limit of failed sign-ins is refused passkeys too."""
    transaction = load_transaction(
        transaction_id, browser_binding(), TransactionState.LOGIN, TransactionState.OTP
    )
    if transaction is None:
        return expired_page()
    account = _second_factor_account(transaction)
    if transaction.state is TransactionState.OTP and account is None:
        return expired_page()
    if blocked := throttle.check_address(request.remote_addr):
        return too_many_failures_page(blocked.until)
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
            _record_sign_in(
                Event.SIGNIN_FAILURE,
                transaction,
                account_id=account.id if account else None,
                method="passkey",
                reason=refused.reason,
            )
            if refused.reason in ("suspended", "counter_regressed"):
                error = _(PASSKEY_SUSPENDED)
        else:
            log.info("passkey accepted tx=%s", transaction.id[:8])
            methods = _passkey_methods(signed_in)
            if account is not None:
                methods = [policy.PWD, *methods]
            return _finish_sign_in(transaction, transaction.state, signed_in.account, methods)
    if account is None:
        return _password_page(transaction, PasswordForm(formdata=None), error, 401)
    return _second_factor_page(transaction, account, OtpForm(formdata=None), error, 401)


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
    error: str | None = None
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        if blocked := throttle.check_address(request.remote_addr):
            return too_many_failures_page(blocked.until)
        key = throttle.key_for_citizen_id(account.citizen.citizen_id)
        lockout = throttle.check(throttle.Factor.RECOVERY_CODE, key)
        if lockout is None and security.use_recovery_code(account, form.recovery_code.data):
            throttle.succeeded(throttle.Factor.RECOVERY_CODE, key)
            log.info("recovery code accepted tx=%s", transaction.id[:8])
            if advance(transaction, TransactionState.OTP, TransactionState.RECOVERY):
                return redirect(url_for("authn.new_password", transaction_id=transaction.id))
            return expired_page()
        log.info("recovery code refused tx=%s", transaction.id[:8])
        if lockout is None:
            lockout = throttle.failed(
                throttle.Factor.RECOVERY_CODE, key, address=request.remote_addr
            )
        _record_sign_in(
            Event.SIGNIN_FAILURE,
            transaction,
            account_id=account.id,
            method="recovery_code",
            reason="locked_out" if lockout else "bad_recovery_code",
        )
        error, status, headers = _refusal(lockout)
    elif form.is_submitted():
        error, status = _(GENERIC_FAILURE), 401
    if error:
        form.recovery_code.data = ""
    return (
        render_template("signin/recovery.html", form=form, error=error, transaction=transaction),
        status,
        headers,
    )


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
        password_hash = security.new_password_hash(form.new_password.data)
        if not advance(transaction, TransactionState.RECOVERY, TransactionState.NEW_TOTP):
            return expired_page()
        security.change_password(account, password_hash, keep=None)
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
