"""The AuthorizationTransaction: the validated request handed from the protocol core to the
sign-in and consent pages, and back. Every step is a conditional UPDATE from the state it
expects, so a replayed or concurrent step changes nothing."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import update

from idp import clock
from idp.extensions import db
from idp.models import AuthorizationTransaction, TransactionState

#: The client id of sign-ins that the provider's own account pages ask for (``/account``):
#: no portal, no consent, no code; it can never be a registered client's id, which is
#: URL-safe base64 and holds no colon.
FIRST_PARTY = "citizen-idp:account"


def open_transaction(
    *,
    params: dict[str, str],
    client_id: str,
    binding: str,
    state: TransactionState,
    account_id: int | None = None,
    browser_session_id: str | None = None,
) -> AuthorizationTransaction:
    now = clock.now()
    transaction = AuthorizationTransaction(
        id=secrets.token_urlsafe(32),
        browser_binding=binding,
        client_id=client_id,
        params=params,
        state=state,
        account_id=account_id,
        browser_session_id=browser_session_id,
        created_at=now,
        expires_at=now + timedelta(seconds=current_app.config["TRANSACTION_LIFETIME"]),
    )
    db.session.add(transaction)
    db.session.commit()
    return transaction


def load_transaction(
    transaction_id: str, binding: str, *states: TransactionState
) -> AuthorizationTransaction | None:
    """The transaction if it belongs to this browser, is unexpired and in one of ``states``."""
    transaction = db.session.get(AuthorizationTransaction, transaction_id)
    if (
        transaction is None
        or not secrets.compare_digest(transaction.browser_binding, binding)
        or transaction.expires_at <= clock.now()
        or transaction.state not in states
    ):
        return None
    return transaction


def advance(
    transaction: AuthorizationTransaction,
    expected: TransactionState,
    to: TransactionState,
    **values: Any,
) -> bool:
    """Move from ``expected`` to ``to``; False when another request moved it first."""
    moved = db.session.execute(
        update(AuthorizationTransaction)
        .where(
            AuthorizationTransaction.id == transaction.id,
            AuthorizationTransaction.state == expected,
        )
        .values(state=to, **values)
    )
    db.session.commit()
    db.session.refresh(transaction)
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]
