"""Short-lived state expires by itself: `idp cleanup` deletes what can no longer be used."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, or_, select

from idp import clock
from idp.extensions import db
from idp.models import AuthorizationCode, AuthorizationTransaction, BrowserSession, Token


@dataclass(frozen=True, slots=True)
class Purged:
    transactions: int
    tokens: int
    codes: int
    sessions: int


def purge_expired() -> Purged:
    """Delete expired rows, children before parents. A code stays while a token issued from it
    lives, so that a late replay can still revoke that token (RFC 6749 §4.1.2)."""
    now = clock.now()
    transactions = db.session.execute(
        delete(AuthorizationTransaction).where(AuthorizationTransaction.expires_at <= now)
    )
    tokens = db.session.execute(delete(Token).where(Token.expires_at <= now))
    live_codes = select(Token.authorization_code_id).where(Token.authorization_code_id.is_not(None))
    codes = db.session.execute(
        delete(AuthorizationCode).where(
            AuthorizationCode.expires_at <= now, AuthorizationCode.id.not_in(live_codes)
        )
    )
    sessions = db.session.execute(
        delete(BrowserSession).where(
            or_(BrowserSession.expires_at <= now, BrowserSession.ended_at.is_not(None)),
            BrowserSession.id.not_in(
                select(AuthorizationTransaction.browser_session_id).where(
                    AuthorizationTransaction.browser_session_id.is_not(None)
                )
            ),
        )
    )
    db.session.commit()
    return Purged(
        transactions.rowcount,  # type: ignore[attr-defined]
        tokens.rowcount,  # type: ignore[attr-defined]
        codes.rowcount,  # type: ignore[attr-defined]
        sessions.rowcount,  # type: ignore[attr-defined]
    )
