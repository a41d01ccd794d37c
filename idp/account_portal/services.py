"""Linked services: the portals a citizen has allowed to receive data, what and why, since
when; and withdrawing that consent, which cuts the portal off at once."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from idp.account_portal.guard import signed_in
from idp.account_portal.views import blueprint
from idp.audit.events import Event
from idp.audit.ledger import record
from idp.consent.catalogue import SCOPES
from idp.consent.purposes import LEGAL_BASES, read_purposes
from idp.consent.service import consents_of, revoke_consent
from idp.oidc.clients import find_client
from idp.oidc.tokens import revoke_account_tokens
from idp.pages import current_locale


@blueprint.get("/services")
@signed_in()
def services() -> ResponseReturnValue:
    locale = current_locale()
    linked = []
    for consent in consents_of(g.account.id):
        client = find_client(consent.client_id)
        if client is None:
            continue
        purposes = read_purposes(consent.purposes)
        linked.append(
            {
                "client": client,
                "since": consent.granted_at,
                "items": [
                    {
                        "description": SCOPES[name].description[locale],
                        "purpose": purposes[name].text if name in purposes else None,
                        "legal_basis": (
                            LEGAL_BASES[purposes[name].legal_basis] if name in purposes else None
                        ),
                    }
                    for name in consent.scopes
                    if name in SCOPES
                ],
            }
        )
    return render_template("account/services.html", linked=linked, form=FlaskForm())


@blueprint.post("/services/<client_id>/revoke")
@signed_in()
def revoke(client_id: str) -> ResponseReturnValue:
    if not FlaskForm().validate_on_submit():
        abort(400)
    withdrawn = revoke_consent(g.account.id, client_id)
    if withdrawn is not None:
        revoke_account_tokens(g.account.id, client_id)
        record(
            Event.CONSENT_REVOKED,
            account_id=g.account.id,
            client_id=client_id,
            details={"scopes": withdrawn},
        )
    return redirect(url_for("account.services"))
