"""Browser sessions at the provider. The cookie carries a random token; the table keeps its
SHA-256, so a leaked database does not hand out sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, select, update

from idp import clock
from idp.extensions import db
from idp.models import BrowserSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# A session's last use is written at most this often, not on every request.
TOUCH_INTERVAL = timedelta(seconds=60)


def start_session(
    account_id: int, *, acr: str, amr: list[str], browser: str = "", network: str = ""
) -> tuple[str, BrowserSession]:
    """Record a completed sign-in; return the token for the browser and the row.
    ``browser`` and ``network`` describe the client for the citizen (accounts/devices)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = BrowserSession(
        id=_digest(token),
        sid=secrets.token_urlsafe(32),
        account_id=account_id,
        auth_time=now,
        acr=acr,
        amr=amr,
        last_seen_at=now,
        browser=browser,
        network=network,
        expires_at=now + timedelta(seconds=current_app.config["SESSION_LIFETIME"]),
    )
    db.session.add(row)
    db.session.commit()
    return token, row


def _live(now: datetime) -> ColumnElement[bool]:
    """Not ended, within the absolute lifetime, and used within the idle lifetime."""
    idle = timedelta(seconds=current_app.config["SESSION_IDLE_LIFETIME"])
    return and_(
        BrowserSession.ended_at.is_(None),
        BrowserSession.expires_at > now,
        BrowserSession.last_seen_at > now - idle,
    )


def find_session(token: str | None) -> BrowserSession | None:
    """The live session behind a cookie token. Finding it counts as a use."""
    if not token:
        return None
    now = clock.now()
    session = db.session.scalar(
        select(BrowserSession).where(BrowserSession.id == _digest(token), _live(now))
    )
    if session is not None and now - session.last_seen_at >= TOUCH_INTERVAL:
        session.last_seen_at = now
        db.session.commit()
    return session


def live_sessions(account_id: int) -> list[BrowserSession]:
    """The account's live sessions, in every browser, newest first."""
    query = (
        select(BrowserSession)
        .where(BrowserSession.account_id == account_id, _live(clock.now()))
        .order_by(BrowserSession.auth_time.desc())
    )
    return list(db.session.scalars(query))


def end_session(session: BrowserSession) -> bool:
    """End a session; False when it had already ended (so its logout work is done once)."""
    ended = db.session.execute(
        update(BrowserSession)
        .where(BrowserSession.id == session.id, BrowserSession.ended_at.is_(None))
        .values(ended_at=clock.now())
    )
    db.session.commit()
    return bool(ended.rowcount == 1)  # type: ignore[attr-defined]
