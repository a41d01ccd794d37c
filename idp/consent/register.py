"""The public register of portals (``/portals``): who may ask citizens for which data, and
why. No sign-in: transparency is part of the consent the citizen gives."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from idp.consent.catalogue import SCOPES
from idp.consent.purposes import LEGAL_BASES, NO_DATA, read_purposes
from idp.oidc.clients import list_clients
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
