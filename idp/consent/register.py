"""The public register of portals (``/portals``): who may ask citizens for which data, and
why. No sign-in: transparency is part of the consent the citizen gives."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue

from idp.consent.catalogue import SCOPES
from idp.consent.purposes import LEGAL_BASES, NO_DATA, read_purposes
from idp.oidc.clients import find_client, list_clients
from idp.oidc.logos import LOGO_POLICY
from idp.pages import current_locale

blueprint = Blueprint("register", __name__)


@blueprint.get("/portals")
def portals() -> ResponseReturnValue:
    locale = current_locale()
    entries = []
    for client in sorted(list_clients(), key=lambda c: (c.organisation, c.name)):
        purposes = read_purposes(client.purposes)
        entries.append(
            {
                "client": client,
                "scopes": [
                    {
                        "name": name,
                        "description": SCOPES[name].description[locale],
                        "purpose": purposes[name].text if name in purposes else "",
                        "legal_basis": (
                            LEGAL_BASES[purposes[name].legal_basis] if name in purposes else ""
                        ),
                        "essential": name in client.essential_scopes,
                    }
                    for name in client.scope.split()
                    if name in SCOPES and name not in NO_DATA
                ],
            }
        )
    return render_template("consent/register.html", entries=entries)


@blueprint.get("/portals/<client_id>/logo")
def logo(client_id: str) -> ResponseReturnValue:
    """A portal's logo from the provider's own origin (``img-src 'self'``). The type is the one
    checked at registration, never sniffed (``nosniff`` is on every response), and the
    sandboxing policy keeps an SVG opened on its own from running anything."""
    client = find_client(client_id)
    if client is None or client.logo is None or client.logo_type is None:
        abort(404)
    response = Response(client.logo, content_type=client.logo_type)
    response.headers["Content-Security-Policy"] = LOGO_POLICY
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
