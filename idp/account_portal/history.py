"""What the ledger says about the citizen, shown to them: every release of their data (who
received what, for what purpose), every sign-in, and all their data as one file (the right of
access, Decree 13/2023/ND-CP Art. 9)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, abort, g, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select

from idp import clock
from idp.account_portal.guard import signed_in
from idp.account_portal.views import blueprint
from idp.accounts.sessions import live_sessions
from idp.audit.events import Event
from idp.audit.ledger import citizen_digest, record
from idp.consent.catalogue import CATALOGUE, SCOPES, claims_for
from idp.consent.service import consents_of
from idp.extensions import db
from idp.models import Account, AuditEntry
from idp.oidc.clients import find_client
from idp.oidc.logout import log_out
from idp.pages import current_locale
from idp.population.registry import project_claims

PAGE_SIZE = 20
RELEASES = (Event.CLAIMS_RELEASE_TOKEN.value, Event.CLAIMS_RELEASE_USERINFO.value)
SIGN_INS = (
    Event.SIGNIN_SUCCESS.value,
    Event.SIGNIN_FAILURE.value,
    Event.STEPUP_SUCCESS.value,
)


@dataclass(frozen=True, slots=True)
class Row:
    seq: int
    at: datetime
    event: str
    client_id: str | None
    details: dict[str, Any]


def _entries(
    account: Account, events: tuple[str, ...], *, client_id: str | None, before: int | None
) -> list[Row]:
    """The citizen's entries of ``events``, newest first, a page at a time (by the index on
    the citizen's digest and the entry number)."""
    query = (
        select(AuditEntry)
        .where(
            AuditEntry.citizen_digest == citizen_digest(account.citizen.citizen_id),
            AuditEntry.event.in_(events),
        )
        .order_by(AuditEntry.seq.desc())
        .limit(PAGE_SIZE + 1)
    )
    if client_id:
        query = query.where(AuditEntry.client_id == client_id)
    if before:
        query = query.where(AuditEntry.seq < before)
    return [
        Row(e.seq, e.recorded_at, e.event, e.client_id, json.loads(e.details))
        for e in db.session.scalars(query)
    ]


def _before() -> int | None:
    raw = request.args.get("before", "")
    # At most 18 digits: a larger number would overflow PostgreSQL's bigint and fail the query.
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _scope_names(scopes: list[str]) -> list[str]:
    locale = current_locale()
    return [SCOPES[s].description[locale] for s in scopes if s in SCOPES and s != "openid"]


@blueprint.get("/history")
@signed_in()
def history() -> ResponseReturnValue:
    """Data access history: who received which of the citizen's data, when, for what."""
    portal = request.args.get("portal") or None
    rows = _entries(g.account, RELEASES, client_id=portal, before=_before())
    portals = {
        c.client_id: c for c in map(find_client, {r.client_id for r in rows if r.client_id}) if c
    }
    linked = {c.client_id: find_client(c.client_id) for c in consents_of(g.account.id)}
    releases = [
        {
            "row": row,
            "portal": portals.get(row.client_id or ""),
            "items": _scope_names(
                [
                    scope.name
                    for scope in CATALOGUE
                    if set(scope.claims) & set(row.details.get("claims", []))
                ]
            ),
            "purposes": row.details.get("purposes", []),
            "carrier": "userinfo" if row.event == Event.CLAIMS_RELEASE_USERINFO else "id_token",
        }
        for row in rows[:PAGE_SIZE]
    ]
    return render_template(
        "account/history.html",
        releases=releases,
        portal=portal,
        choices={k: v for k, v in linked.items() if v},
        more=rows[PAGE_SIZE].seq + 1 if len(rows) > PAGE_SIZE else None,
    )


@blueprint.get("/sign-ins")
@signed_in()
def sign_ins() -> ResponseReturnValue:
    rows = _entries(g.account, SIGN_INS, client_id=None, before=_before())
    return render_template(
        "account/sign_ins.html",
        rows=rows[:PAGE_SIZE],
        more=rows[PAGE_SIZE].seq + 1 if len(rows) > PAGE_SIZE else None,
        form=FlaskForm(),
    )


@blueprint.post("/sign-ins/not-me")
@signed_in()
def not_me() -> ResponseReturnValue:
    """ "This wasn't me": end every session of the account (portals are told by back-channel)
    and send the citizen to sign in again and choose a new password."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    ended = live_sessions(g.account.id)
    for one in ended:
        log_out(one)
    session.pop("sid", None)
    record(Event.SIGNIN_DISOWNED, account_id=g.account.id, details={"sessions": len(ended)})
    return render_template("account/not_me.html")


@blueprint.get("/data.json")
@signed_in()
def my_data() -> ResponseReturnValue:
    """Everything the provider holds about the citizen, generated now: the registry record and
    linked records, the account, consents, and the ledger's entries about them."""
    account: Account = g.account
    digest = citizen_digest(account.citizen.citizen_id)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.citizen_digest == digest).order_by(AuditEntry.seq)
    )
    document = {
        "generated_at": clock.now().isoformat(),
        "registry": project_claims(account.citizen, claims_for(SCOPES)),
        "account": {
            "created_at": account.created_at.isoformat(),
            "identity_level": account.identity_level,
            "second_factor": account.totp_secret_sealed is not None,
        },
        "consents": [
            {
                "client_id": consent.client_id,
                "portal": getattr(find_client(consent.client_id), "name", None),
                "scopes": consent.scopes,
                "purposes": consent.purposes,
                "granted_at": consent.granted_at.isoformat(),
                "updated_at": consent.updated_at.isoformat(),
            }
            for consent in consents_of(account.id)
        ],
        "history": [
            {
                "at": entry.recorded_at.isoformat(),
                "event": entry.event,
                "client_id": entry.client_id,
                "details": json.loads(entry.details),
            }
            for entry in entries
        ],
    }
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2, default=str),
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-e-id-data.json"',
            "Cache-Control": "no-store",
        },
    )
