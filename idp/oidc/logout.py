"""Ending a provider session and telling the portals (OpenID Connect RP-Initiated Logout 1.0 and
Back-Channel Logout 1.0).

Each portal that received a code in the ended session and registered a
``backchannel_logout_uri`` gets a signed logout token (§2.4) POSTed to it. Delivery runs in a
background thread with a short timeout and a few retries, so a slow portal never holds up the
citizen's logout.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass

import requests
from flask import current_app
from joserfc import jwt
from sqlalchemy import select

from idp import clock
from idp.accounts.sessions import end_session
from idp.audit.events import Event
from idp.audit.ledger import record
from idp.extensions import db
from idp.keys.store import active_key
from idp.models import Account, AuthorizationCode, BrowserSession, Client
from idp.oidc.subject import subject_for
from idp.oidc.tokens import revoke_session_tokens

log = logging.getLogger(__name__)

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME = 120
DELIVERY_TIMEOUT = 2.0
DELIVERY_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class LogoutNotice:
    client_id: str
    uri: str
    logout_token: str


def logout_token(client: Client, account: Account, sid: str) -> str:
    """OIDC Back-Channel Logout §2.4: iss aud iat exp jti events sid sub, and never a nonce."""
    now = int(clock.now().timestamp())
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME,
        "jti": secrets.token_urlsafe(16),
        "events": {LOGOUT_EVENT: {}},
        "sid": sid,
        "sub": subject_for(account, client, salt=current_app.config["SUBJECT_SALT"]),
    }
    alg = client.id_token_signed_response_alg
    kid, key = active_key(alg)
    return jwt.encode({"alg": alg, "kid": kid, "typ": "logout+jwt"}, claims, key)


def notices_for(session: BrowserSession) -> list[LogoutNotice]:
    """A logout token for each portal that took part in this session and asked to be told."""
    account = db.session.get(Account, session.account_id)
    assert account is not None
    sid = session.sid
    clients = db.session.scalars(
        select(Client).where(
            Client.client_id.in_(
                select(AuthorizationCode.client_id).where(AuthorizationCode.sid == sid)
            ),
            Client.backchannel_logout_uri.is_not(None),
        )
    )
    return [
        LogoutNotice(c.client_id, str(c.backchannel_logout_uri), logout_token(c, account, sid))
        for c in clients
    ]


def deliver(notices: list[LogoutNotice]) -> threading.Thread | None:
    """POST the logout tokens (§2.5) from a background thread; returns it so tests can wait."""
    if not notices:
        return None
    thread = threading.Thread(target=_deliver_all, args=(notices,), daemon=True)
    thread.start()
    return thread


def _deliver_all(notices: list[LogoutNotice]) -> None:
    for notice in notices:
        for attempt in range(DELIVERY_ATTEMPTS):
            try:
                answer = requests.post(
                    notice.uri,
                    data={"logout_token": notice.logout_token},
                    timeout=DELIVERY_TIMEOUT,
                    allow_redirects=False,
                )
            except requests.RequestException as error:
                log.info(
                    "back-channel logout to %s failed: %s", notice.client_id, type(error).__name__
                )
            else:
                # §2.8: 200 (or 204) means the portal ended its session; 400 means it refused.
                if answer.status_code in (200, 204) or 400 <= answer.status_code < 500:
                    log.info("back-channel logout to %s: %s", notice.client_id, answer.status_code)
                    break
            time.sleep(0.5 * 2**attempt)


def log_out(session: BrowserSession) -> threading.Thread | None:
    """End the session, revoke the access tokens it issued, and notify the portals."""
    if not end_session(session):
        return None
    revoked = revoke_session_tokens(session.sid)
    record(
        Event.SESSION_ENDED,
        account_id=session.account_id,
        details={"sid": session.sid, "revoked_tokens": revoked},
    )
    return deliver(notices_for(session))
