"""Short-lived state expires by itself: `idp cleanup` deletes what can no longer be used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select

from idp import clock
from idp.extensions import db
from idp.models import (
    ActivationRequest,
    AuthorizationCode,
    AuthorizationTransaction,
    BrowserSession,
    ClientAssertion,
    RefreshToken,
    Token,
    WebAuthnChallenge,
)


@dataclass(frozen=True, slots=True)
class Purged:
    transactions: int
    tokens: int
    codes: int
    sessions: int
    assertions: int
    activations: int
    challenges: int


def purge_expired() -> Purged:
    """Delete expired rows, children before parents. A code stays while a token issued from it
    lives, so that a late replay can still revoke that token (RFC 6749 §4.1.2), and while its
    session lives, so that logging out still notifies its portal; the tokens of a
    refresh-token family all share its expiry, so a rotated token stays as long as reusing it
    must revoke the family (RFC 9700 §4.14.2). ``tokens`` counts access and refresh tokens;
    ``challenges`` are passkey challenges that were never answered."""
    now = clock.now()
    idle = timedelta(seconds=current_app.config["SESSION_IDLE_LIFETIME"])
    transactions = db.session.execute(
        delete(AuthorizationTransaction).where(AuthorizationTransaction.expires_at <= now)
    )
    tokens = db.session.execute(delete(Token).where(Token.expires_at <= now))
    refresh_tokens = db.session.execute(delete(RefreshToken).where(RefreshToken.expires_at <= now))
    live_codes = select(Token.authorization_code_id).where(Token.authorization_code_id.is_not(None))
    # A code also stays while its provider session lives: it is how a logout finds the portals
    # to notify (Back-Channel Logout §2.5).
    live_sessions = select(BrowserSession.sid).where(
        BrowserSession.ended_at.is_(None),
        BrowserSession.expires_at > now,
        BrowserSession.last_seen_at > now - idle,
    )
    codes = db.session.execute(
        delete(AuthorizationCode).where(
            AuthorizationCode.expires_at <= now,
            AuthorizationCode.id.not_in(live_codes),
            AuthorizationCode.id.not_in(select(RefreshToken.authorization_code_id)),
            or_(AuthorizationCode.sid.is_(None), AuthorizationCode.sid.not_in(live_sessions)),
        )
    )
    sessions = db.session.execute(
        delete(BrowserSession).where(
            or_(
                BrowserSession.expires_at <= now,
                BrowserSession.last_seen_at <= now - idle,
                BrowserSession.ended_at.is_not(None),
            ),
            BrowserSession.id.not_in(
                select(AuthorizationTransaction.browser_session_id).where(
                    AuthorizationTransaction.browser_session_id.is_not(None)
                )
            ),
        )
    )
    assertions = db.session.execute(
        delete(ClientAssertion).where(ClientAssertion.expires_at <= now)
    )
    activations = db.session.execute(
        delete(ActivationRequest).where(ActivationRequest.expires_at <= now)
    )
    challenges = db.session.execute(
        delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at <= now)
    )
    db.session.commit()
    return Purged(
        transactions.rowcount,  # type: ignore[attr-defined]
        tokens.rowcount + refresh_tokens.rowcount,  # type: ignore[attr-defined]
        codes.rowcount,  # type: ignore[attr-defined]
        sessions.rowcount,  # type: ignore[attr-defined]
        assertions.rowcount,  # type: ignore[attr-defined]
        activations.rowcount,  # type: ignore[attr-defined]
        challenges.rowcount,  # type: ignore[attr-defined]
    )
