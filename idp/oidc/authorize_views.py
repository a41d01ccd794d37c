"""The authorization endpoint (OIDC Core §3.1.2) and its resume step, which is the only place
that answers a portal's redirect URI."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.errors import AccessDeniedError, OAuth2Error
from authlib.oidc.core.errors import LoginRequiredError
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from idp.accounts.browser import browser_binding, current_session
from idp.accounts.service import has_second_factor
from idp.consent.catalogue import satisfies
from idp.extensions import csrf, db
from idp.models import Account, AuthorizationTransaction, BrowserSession, TransactionState
from idp.oidc.checks import RESPONSE_MODES, Authorization, requirements, run_checks
from idp.oidc.clients import find_client
from idp.oidc.server import server, stored_request
from idp.oidc.subject import subject_for
from idp.oidc.transactions import FIRST_PARTY, advance, load_transaction, open_transaction
from idp.pages import error_page, expired_page, remember_ui_locale

log = logging.getLogger(__name__)
blueprint = Blueprint("authorize", __name__)


def respond(
    redirect_uri: str, params: dict[str, str | None], response_mode: str
) -> ResponseReturnValue:
    """Deliver an authorization response, success or error. It always carries ``state`` as
    received and ``iss`` (RFC 9207 §2); ``form_post`` (OAuth 2.0 Form Post Response Mode §2)
    posts it from an auto-submitting page whose script is a file, as our CSP requires."""
    params["iss"] = current_app.config["ISSUER"]
    fields = [(k, v) for k, v in params.items() if v]
    if response_mode == "form_post":
        return render_template("oidc/form_post.html", action=redirect_uri, fields=fields)
    return redirect(
        add_params_to_uri(redirect_uri, fields), 303 if request.method == "POST" else 302
    )


def _response_mode(params: Mapping[str, str]) -> str:
    mode = params.get("response_mode", "query")
    return mode if mode in RESPONSE_MODES else "query"


def authorization_error(error: OAuth2Error, params: Mapping[str, str]) -> ResponseReturnValue:
    """Send the error back to the portal only when the client and its redirect URI were
    verified (RFC 6749 §4.1.2.1); otherwise tell the citizen on a page."""
    log.info("authorization refused: %s (%s)", error.error, error.description)
    if error.redirect_uri:
        return respond(
            error.redirect_uri,
            {
                "error": error.error,
                "error_description": error.get_error_description(),
                "state": params.get("state"),
            },
            _response_mode(params),
        )
    return error_page(
        _("This sign-in request is not valid"),
        _(
            "The service that sent you here made a mistake: %(reason)s",
            reason=error.get_error_description() or error.error,
        ),
        400,
    )


@blueprint.route("/authorize", methods=["GET", "POST"])
@csrf.exempt
def authorize() -> ResponseReturnValue:
    params = {key: str(request.values[key]) for key in request.values}
    signed_in = current_session()
    account = db.session.get(Account, signed_in.account_id) if signed_in else None
    try:
        grant = server.get_consent_grant(end_user=account)
        client = grant.client.row
        checked = run_checks(
            Authorization(
                params=params,
                repeated=[k for k in request.values if len(request.values.getlist(k)) > 1],
                client=client,
                redirect_uri=grant.redirect_uri,
                session=signed_in,
                account=account,
            )
        )
    except OAuth2Error as error:
        return authorization_error(error, params)

    remember_ui_locale(params.get("ui_locales", ""))
    if checked.login_hint:
        params["login_hint"] = checked.login_hint
    else:
        params.pop("login_hint", None)
    return begin_interaction(
        params,
        client.client_id,
        signed_in=signed_in,
        account=account,
        needs_login=checked.needs_login,
        step_up=checked.step_up,
    )


def begin_interaction(
    params: dict[str, str],
    client_id: str,
    *,
    signed_in: BrowserSession | None,
    account: Account | None,
    needs_login: bool,
    step_up: bool,
) -> ResponseReturnValue:
    """Open the transaction for a checked request and send the browser to its first page."""
    if needs_login or account is None:
        state, page = TransactionState.LOGIN, "authn.password"
    elif step_up and has_second_factor(account):
        # A weaker session is stepped up by asking for the missing factor alone.
        state, page = TransactionState.OTP, "authn.otp"
    elif step_up:
        state, page = TransactionState.LOGIN, "authn.password"
    else:
        state, page = TransactionState.CONSENT, "consent.decide"
    transaction = open_transaction(
        params=params,
        client_id=client_id,
        binding=browser_binding(),
        state=state,
        account_id=None if state is TransactionState.LOGIN or account is None else account.id,
        browser_session_id=(
            signed_in.id if state is TransactionState.CONSENT and signed_in else None
        ),
    )
    return redirect(url_for(page, transaction_id=transaction.id))


@blueprint.get("/authorize/resume/<transaction_id>")
def resume(transaction_id: str) -> ResponseReturnValue:
    """Finish an authorization once the pages have decided it: issue the code, or the error."""
    transaction = load_transaction(
        transaction_id, browser_binding(), TransactionState.APPROVED, TransactionState.DENIED
    )
    if transaction is None or not advance(
        transaction, transaction.state, TransactionState.FINISHED
    ):
        return expired_page()
    if transaction.client_id == FIRST_PARTY:
        return _return_to_account_pages(transaction)
    params = transaction.params
    mode = _response_mode(params)
    if transaction.error:
        return respond(
            params["redirect_uri"], {"error": transaction.error, "state": params.get("state")}, mode
        )

    signed_in = current_session()
    account = db.session.get(Account, transaction.account_id)
    client = find_client(transaction.client_id)
    if (
        signed_in is None
        or account is None
        or client is None
        or signed_in.id != transaction.browser_session_id
    ):
        return expired_page()
    try:
        needs = requirements(params)
        hinted = needs.hinted_subject
        # OIDC Core §3.1.2.1: a code is never issued for a citizen other than the hinted one.
        if hinted and hinted != subject_for(
            account, client, salt=current_app.config["SUBJECT_SALT"]
        ):
            raise LoginRequiredError(redirect_uri=params["redirect_uri"])
        if not satisfies(signed_in.acr, needs.acr):
            raise AccessDeniedError(redirect_uri=params["redirect_uri"])
        grant = server.get_consent_grant(request=stored_request(params), end_user=account)
    except OAuth2Error as error:
        return authorization_error(error, params)
    # RFC 6749 §4.1.2: the code, bound to what was validated and to this sign-in.
    grant.request.user = account
    grant.request.browser_session = signed_in
    grant.request.id_token_claims = list(needs.id_token_claims)
    grant.request.scope = transaction.granted_scope or grant.request.scope
    code = grant.generate_authorization_code()
    grant.save_authorization_code(code, grant.request)
    return respond(grant.redirect_uri, {"code": code, "state": params.get("state")}, mode)


def _return_to_account_pages(transaction: AuthorizationTransaction) -> ResponseReturnValue:
    """A sign-in the provider's own account pages asked for ends on the page that asked."""
    signed_in = current_session()
    if transaction.error == "unmet_authentication_requirements":
        return error_page(
            _("A second factor is needed"),
            _("This page needs the second factor you set up, and this account has none now."),
            403,
        )
    if transaction.error or signed_in is None or signed_in.id != transaction.browser_session_id:
        return redirect(url_for("account.signed_out"))
    return redirect(transaction.params["return_to"])
