"""HTTP endpoints of the protocol core: discovery, JWKS, authorize (and its resume), token,
userinfo."""

from __future__ import annotations

import json
import logging
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import current_token
from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Blueprint, Response, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from idp.accounts.browser import browser_binding, current_session
from idp.consent.catalogue import claims_for, lowest_acr, satisfies
from idp.consent.service import has_consent
from idp.extensions import csrf, db
from idp.keys.store import jwks
from idp.models import Account, TransactionState
from idp.oidc.clients import find_client
from idp.oidc.discovery import provider_metadata
from idp.oidc.server import require_token, server, stored_request
from idp.oidc.subject import subject_for
from idp.oidc.transactions import advance, load_transaction, open_transaction
from idp.pages import error_page, expired_page, http_error_page, remember_ui_locale
from idp.population.registry import project_claims

log = logging.getLogger(__name__)
blueprint = Blueprint("oidc", __name__)


def _json(body: Any, *, cache: bool = False) -> ResponseReturnValue:
    response = Response(json.dumps(body), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300" if cache else "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


API_ENDPOINTS = frozenset({"oidc.token", "oidc.userinfo", "oidc.discovery", "oidc.jwks_document"})


@blueprint.errorhandler(HTTPException)
def api_error(error: HTTPException) -> ResponseReturnValue:
    """Machine endpoints answer errors in their own format (RFC 6750 §3 WWW-Authenticate for
    userinfo), never with a page."""
    if request.endpoint in API_ENDPOINTS:
        return error.get_response()
    return http_error_page(error)


@blueprint.get("/.well-known/openid-configuration")
def discovery() -> ResponseReturnValue:
    return _json(provider_metadata(current_app.config["ISSUER"]), cache=True)


@blueprint.get("/jwks.json")
def jwks_document() -> ResponseReturnValue:
    return _json(jwks(), cache=True)


def redirect_to_client(redirect_uri: str, params: dict[str, str | None]) -> ResponseReturnValue:
    """Every authorization response, success or error, carries ``state`` as received and
    ``iss`` (RFC 9207 §2)."""
    params["iss"] = current_app.config["ISSUER"]
    location = add_params_to_uri(redirect_uri, [(k, v) for k, v in params.items() if v])
    return redirect(location, 303 if request.method == "POST" else 302)


def authorization_error(error: OAuth2Error, state: str | None) -> ResponseReturnValue:
    """Send the error back to the portal only when the client and its redirect URI were
    verified (RFC 6749 §4.1.2.1); otherwise tell the citizen on a page."""
    log.info("authorization refused: %s (%s)", error.error, error.description)
    if error.redirect_uri:
        return redirect_to_client(
            error.redirect_uri,
            {
                "error": error.error,
                "error_description": error.get_error_description(),
                "state": state,
            },
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
    signed_in = current_session()
    account = db.session.get(Account, signed_in.account_id) if signed_in else None
    state = request.values.get("state")
    try:
        grant = server.get_consent_grant(end_user=account)
    except OAuth2Error as error:
        return authorization_error(error, state)

    params = {key: str(request.values[key]) for key in request.values}
    remember_ui_locale(params.get("ui_locales", ""))
    scopes = grant.request.scope.split()
    prompts = params.get("prompt", "").split()
    needs_login = (
        signed_in is None or "login" in prompts or not satisfies(signed_in.acr, lowest_acr(scopes))
    )
    if "none" in prompts:
        # OIDC Core §3.1.2.1: prompt=none shows no page; it answers at once or fails.
        if needs_login:
            return redirect_to_client(
                grant.redirect_uri, {"error": "login_required", "state": state}
            )
        assert account is not None
        if not has_consent(account.id, grant.client.get_client_id(), scopes):
            return redirect_to_client(
                grant.redirect_uri, {"error": "consent_required", "state": state}
            )

    transaction = open_transaction(
        params=params,
        client_id=grant.client.get_client_id(),
        binding=browser_binding(),
        state=TransactionState.LOGIN if needs_login else TransactionState.CONSENT,
        account_id=None if needs_login else signed_in.account_id if signed_in else None,
        browser_session_id=None if needs_login or signed_in is None else signed_in.id,
    )
    if needs_login:
        return redirect(url_for("authn.password", transaction_id=transaction.id))
    return redirect(url_for("consent.decide", transaction_id=transaction.id))


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
    params = transaction.params
    state = params.get("state")
    if transaction.error:
        return redirect_to_client(
            params["redirect_uri"], {"error": transaction.error, "state": state}
        )

    signed_in = current_session()
    account = db.session.get(Account, transaction.account_id)
    if signed_in is None or account is None or signed_in.id != transaction.browser_session_id:
        return expired_page()
    oauth_request = stored_request(params)
    try:
        grant = server.get_consent_grant(request=oauth_request, end_user=account)
        grant.request.browser_session = signed_in
        grant.request.scope = transaction.granted_scope or grant.request.scope
        _, _, headers = grant.create_authorization_response(grant.redirect_uri, account)
    except OAuth2Error as error:
        return authorization_error(error, state)
    return redirect_to_client(dict(headers)["Location"], {})


@blueprint.post("/token")
@csrf.exempt
def token() -> ResponseReturnValue:
    response: Response = server.create_token_response()
    return response


@blueprint.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
@require_token("openid")
def userinfo() -> ResponseReturnValue:
    issued = current_token.row
    account = db.session.get(Account, issued.account_id)
    client = find_client(issued.client_id)
    assert account is not None
    assert client is not None
    claims: dict[str, object] = {
        "sub": subject_for(account, client, salt=current_app.config["SUBJECT_SALT"])
    }
    claims.update(project_claims(account.citizen, claims_for(issued.scope.split())))
    return _json(claims)
