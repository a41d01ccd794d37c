"""HTTP endpoints for portals' servers that manage tokens: introspection (RFC 7662 §2) and
revocation (RFC 7009 §2). Both answer JSON with ``Cache-Control: no-store``."""

from __future__ import annotations

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from idp.extensions import csrf
from idp.oidc.server import server

blueprint = Blueprint("tokens", __name__)


@blueprint.post("/introspect")
@csrf.exempt
def introspect() -> ResponseReturnValue:
    response: Response = server.create_endpoint_response("introspection")
    return response


@blueprint.post("/revoke")
@csrf.exempt
def revoke() -> ResponseReturnValue:
    response: Response = server.create_endpoint_response("revocation")
    return response
