"""An officer's actions on a citizen's account, run from the command line (`idp accounts reset`,
`idp accounts verify-identity`). Each one is told to the citizen at their registry contact."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult

from idp.accounts.activation import is_active
from idp.accounts.service import AccountError
from idp.accounts.sessions import live_sessions
from idp.extensions import db
from idp.models import Account, Citizen, Passkey, RecoveryCode
from idp.notify.messages import Notice
from idp.notify.notifier import Message, notify
from idp.oidc.logout import log_out
from idp.oidc.tokens import revoke_account_tokens
from idp.population.registry import find_by_citizen_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reset:
    account: Account
    sessions_ended: int
    tokens_revoked: int
    notified: Message | None
    # Back-channel logout deliveries still running; the command waits for them.
    deliveries: tuple[threading.Thread, ...]


@dataclass(frozen=True, slots=True)
class IdentityVerified:
    account: Account
    changed: bool  # False when the account was at identity level 2 already
    notified: Message | None


def _account_of(citizen_id: str) -> tuple[Citizen, Account]:
    citizen = find_by_citizen_id(citizen_id)
    if citizen is None:
        raise AccountError("no citizen with this number is in the registry")
    account = db.session.scalar(select(Account).where(Account.citizen_pk == citizen.id))
    if account is None:
        raise AccountError("this citizen has no e-ID account (they activate it on the web)")
    return citizen, account


def reset_account(citizen_id: str) -> Reset:
    """Remove the password, TOTP secret, passkeys and recovery codes, end every session
    (telling the portals by back-channel logout) and revoke every token; the citizen activates
    the same account again.

    The identity level goes back to 1: the in-person check vouched for the person holding the
    old credentials, and new ones are set with no more than the registry contact behind them.
    """
    citizen, account = _account_of(citizen_id)
    db.session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(
            password_hash=None,
            totp_secret_sealed=None,
            totp_last_step=None,
            totp_pending_sealed=None,
            totp_pending_expires_at=None,
            identity_level=1,
        )
    )
    # Every credential goes: the passkeys and recovery codes may be in the wrong hands too.
    db.session.execute(delete(Passkey).where(Passkey.account_id == account.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    db.session.commit()
    db.session.refresh(account)
    revoked = revoke_account_tokens(account.id)
    sessions = live_sessions(account.id)
    deliveries = tuple(thread for session in sessions if (thread := log_out(session)))
    log.info("account %d reset by an officer", account.id)
    notified = notify(citizen, Notice.ACCOUNT_RESET, url=current_app.config["ISSUER"] + "/activate")
    return Reset(account, len(sessions), revoked, notified, deliveries)


def verify_identity(citizen_id: str) -> IdentityVerified:
    """Record an officer's in-person check of the citizen: identity level 2 (which ``loa3``
    requires, DESIGN.md §3 Assurance)."""
    citizen, account = _account_of(citizen_id)
    if not is_active(account):
        raise AccountError(
            "this account is not active: the citizen activates it first, then comes back"
        )
    raised = db.session.execute(
        update(Account)
        .where(Account.id == account.id, Account.identity_level < 2)
        .values(identity_level=2)
    )
    db.session.commit()
    assert isinstance(raised, CursorResult)
    db.session.refresh(account)
    if raised.rowcount != 1:
        return IdentityVerified(account, changed=False, notified=None)
    log.info("account %d: identity verified in person", account.id)
    return IdentityVerified(account, True, notify(citizen, Notice.IDENTITY_VERIFIED))
