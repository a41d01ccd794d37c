"""HTTP endpoints of the protocol core for machines: discovery, JWKS, token, userinfo.
The authorization endpoint, which browsers reach, is in ``authorize_views``."""

from __future__ import annotations

import json
import logging
from typing import Any

from authlib.integrations.flask_oauth2 import current_token
from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from idp.audit.events import Event
from idp.consent.catalogue import claims_for
from idp.consent.releases import record_release
from idp.extensions import csrf, db
from idp.keys.store import jwks
from idp.models import Account
from idp.oidc.clients import find_client
from idp.oidc.discovery import provider_metadata
from idp.oidc.published import public_response, serialised
from idp.oidc.server import require_token, server
from idp.oidc.subject import subject_for
from idp.pages import http_error_page
from idp.population.registry import project_claims

log = logging.getLogger(__name__)
blueprint = Blueprint("oidc", __name__)


def _json(body: Any) -> ResponseReturnValue:
    response = Response(json.dumps(body), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
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


MACHINE_PATHS = frozenset({"/token", "/userinfo", "/introspect", "/revoke"})


@blueprint.app_errorhandler(MethodNotAllowed)
def wrong_method(error: MethodNotAllowed) -> ResponseReturnValue:
    """A wrong HTTP method at a machine endpoint is answered in JSON, with the allowed ones."""
    if request.path not in MACHINE_PATHS:
        return http_error_page(error)
    allowed = sorted(error.valid_methods or [])
    body = {"error": "invalid_request", "error_description": f"Use {' or '.join(allowed)}."}
    headers = {"Allow": ", ".join(allowed), "Cache-Control": "no-store"}
    return Response(json.dumps(body), 405, headers, mimetype="application/json")


@blueprint.get("/.well-known/openid-configuration")
def discovery() -> ResponseReturnValue:
    issuer = current_app.config["ISSUER"]
    return public_response(serialised("discovery", issuer, lambda: provider_metadata(issuer)))


@blueprint.get("/jwks.json")
def jwks_document() -> ResponseReturnValue:
    """Read from the database on every request, so a rotation or prune made by another process
    (`idp keys`) shows at once; the few key rows cost one small query."""
    document = jwks()
    published = tuple(key["kid"] for key in document["keys"])
    return public_response(serialised("jwks", published, lambda: document))


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
    scopes = issued.scope.split()
    claims.update(project_claims(account.citizen, claims_for(scopes)))
    record_release(
        Event.CLAIMS_RELEASE_USERINFO,
        account=account,
        client=client,
        claims=claims,
        scopes=scopes,
        access_token_jti=issued.jti,
    )
    return _json(claims)
