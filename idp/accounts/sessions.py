"""Browser sessions at the provider. The cookie carries a random token; the table keeps its
SHA-256, so a leaked database does not hand out sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from idp import clock
from idp.extensions import db
from idp.models import BrowserSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(account_id: int, *, acr: str, amr: list[str]) -> tuple[str, BrowserSession]:
    """Record a completed sign-in; return the token for the browser and the row."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = BrowserSession(
        id=_digest(token),
        account_id=account_id,
        auth_time=now,
        acr=acr,
        amr=amr,
        expires_at=now + timedelta(seconds=current_app.config["SESSION_LIFETIME"]),
    )
    db.session.add(row)
    db.session.commit()
    return token, row


def find_session(token: str | None) -> BrowserSession | None:
    if not token:
        return None
    return db.session.scalar(
        select(BrowserSession).where(
            BrowserSession.id == _digest(token),
            BrowserSession.ended_at.is_(None),
            BrowserSession.expires_at > clock.now(),
        )
    )


def end_session(token: str) -> None:
    db.session.execute(
        update(BrowserSession)
        .where(BrowserSession.id == _digest(token))
        .values(ended_at=clock.now())
    )
    db.session.commit()
