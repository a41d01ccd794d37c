"""The browser's side of a sign-in: what the signed session cookie holds, and nothing more
than random handles (the rows they point to live in the database)."""

from __future__ import annotations

import hashlib
import secrets

from flask import session

from idp.accounts.sessions import find_session
from idp.models import BrowserSession


def browser_binding() -> str:
    """A digest of a random value held only by this browser's cookie, which ties unfinished
    authorizations to the browser that started them."""
    if "browser" not in session:
        session["browser"] = secrets.token_urlsafe(32)
    return hashlib.sha256(str(session["browser"]).encode()).hexdigest()


def current_session() -> BrowserSession | None:
    token = session.get("sid")
    return find_session(token if isinstance(token, str) else None)


def remember_sign_in(token: str) -> None:
    """Store a new sign-in, replacing the cookie's contents (session fixation defence) while
    keeping the browser binding and language of unfinished work."""
    kept = {key: session[key] for key in ("browser", "locale") if key in session}
    session.clear()
    session.update(kept)
    session["sid"] = token
