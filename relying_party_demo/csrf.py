"""A per-session token that the portal's own POST forms carry (the synchronizer-token pattern)."""

from __future__ import annotations

import hmac
import secrets

from flask import session

SESSION_KEY = "csrf_token"


def csrf_token() -> str:
    """The session's token, made on first use; a template puts it in a hidden field."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def is_valid_csrf_token(submitted: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
