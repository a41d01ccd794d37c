"""The consent page: what the portal asks for, in the citizen's words, with Allow and Deny."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from idp.accounts.browser import browser_binding, current_session
from idp.audit.events import Event
from idp.audit.ledger import record
from idp.consent.catalogue import SCOPES, releasable
from idp.consent.purposes import LEGAL_BASES, Purpose, read_purposes
from idp.consent.service import granted_scopes, has_consent, record_consent
from idp.models import TransactionState
from idp.oidc.clients import find_client
from idp.oidc.transactions import advance, load_transaction
from idp.pages import current_locale, expired_page

blueprint = Blueprint("consent", __name__, url_prefix="/consent")


@blueprint.route("/<transaction_id>", methods=["GET", "POST"])
def decide(transaction_id: str) -> ResponseReturnValue:
    transaction = load_transaction(transaction_id, browser_binding(), TransactionState.CONSENT)
    signed_in = current_session()
    if (
        transaction is None
        or transaction.account_id is None
        or signed_in is None
        or signed_in.id != transaction.browser_session_id
    ):
        return expired_page()
    client = find_client(transaction.client_id)
    assert client is not None
    allowed = releasable(transaction.params.get("scope", "").split(), client.scope.split())
    resume = url_for("authorize.resume", transaction_id=transaction.id)

    prompts = transaction.params.get("prompt", "").split()
    if "consent" not in prompts and has_consent(transaction.account_id, client.client_id, allowed):
        if advance(
            transaction,
            TransactionState.CONSENT,
            TransactionState.APPROVED,
            granted_scope=" ".join(allowed),
        ):
            # How the consent was given this time: remembered, without the page.
            record(
                Event.CONSENT_REMEMBERED,
                account_id=transaction.account_id,
                client_id=client.client_id,
                details={"scopes": allowed},
            )
        return redirect(resume)

    form = FlaskForm()
    essential = {"openid", *client.essential_scopes}
    if form.validate_on_submit():
        decision = request.form.get("decision")
        if decision == "allow":
            # Essential scopes cannot be unticked; any other is granted only when ticked.
            chosen = [s for s in allowed if s in essential or request.form.get(f"grant_{s}")]
            record_consent(transaction.account_id, client, allowed, chosen)
            record(
                Event.CONSENT_GIVEN,
                account_id=transaction.account_id,
                client_id=client.client_id,
                details={"scopes": chosen, "asked": allowed},
            )
            moved = advance(
                transaction,
                TransactionState.CONSENT,
                TransactionState.APPROVED,
                granted_scope=" ".join(chosen),
            )
        elif decision == "deny":
            # OIDC Core §3.1.2.6: the citizen refused; the portal gets access_denied.
            moved = advance(
                transaction,
                TransactionState.CONSENT,
                TransactionState.DENIED,
                error="access_denied",
            )
            if moved:
                record(
                    Event.CONSENT_REFUSED,
                    account_id=transaction.account_id,
                    client_id=client.client_id,
                    details={"scopes": allowed},
                )
        else:
            moved = False
        if moved:
            return redirect(resume)
    locale = current_locale()
    before = granted_scopes(transaction.account_id, client.client_id)
    purposes = read_purposes(client.purposes)
    items = [
        ConsentItem(
            scope=name,
            description=SCOPES[name].description[locale],
            purpose=purposes.get(name),
            legal_basis=LEGAL_BASES[purposes[name].legal_basis] if name in purposes else None,
            essential=name in essential,
            new=name not in before,
        )
        for name in allowed
    ]
    return render_template(
        "consent/consent.html", form=form, client=client, items=items, returning=bool(before)
    )


@dataclass(frozen=True, slots=True)
class ConsentItem:
    """One scope as the consent page shows it."""

    scope: str
    description: str
    purpose: Purpose | None
    legal_basis: str | None
    essential: bool
    new: bool  # not granted before: marked, so a returning citizen sees what changed
