"""Issued tokens: JWT access tokens (RFC 9068), rotating refresh tokens (RFC 6749 §6, RFC 9700
§4.14.2), and their revocation by family or by session.

An access token is a JWT that a resource server can verify with ``/jwks.json``; our own
endpoints (userinfo, introspection) still look up its digest, so a revocation counts at once.
A refresh token is a random string. Both are stored as SHA-256 digests, never as themselves.
Every token belongs to the *family* of the authorization code it descends from.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from joserfc import jwt
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from idp import clock
from idp.extensions import db
from idp.keys.store import active_key
from idp.models import Account, AuthorizationCode, Client, RefreshToken, Token
from idp.oidc.subject import subject_for

log = logging.getLogger(__name__)

ACCESS_TOKEN_ALG = "ES256"  # noqa: S105 (an algorithm name, not a secret)
OFFLINE_ACCESS = "offline_access"


def digest(value: str) -> str:
    """Codes and tokens are stored as SHA-256 digests, never as themselves."""
    return hashlib.sha256(value.encode()).hexdigest()


def access_token_audience(issuer: str) -> str:
    """The resource our access tokens are for: the userinfo endpoint (RFC 9068 §3, RFC 8707)."""
    return f"{issuer}/userinfo"


def issue_for_code(
    code: AuthorizationCode, account: Account, client: Client, *, offline: bool
) -> dict[str, Any]:
    """The token response of a code exchange (RFC 6749 §5.1): an access token bound to the
    sign-in's session, and, when ``offline`` (OIDC Core §11: the grant includes
    ``offline_access``), the first refresh token of the family.

    The rows are added to the session, not committed: the grant commits them.
    """
    now = clock.now()
    response = _access_token(
        account,
        client,
        scope=code.scope,
        family=code.id,
        auth_time=code.auth_time,
        acr=code.acr,
        amr=code.amr,
        sid=code.sid,
        now=now,
    )
    if offline:
        lifetime = timedelta(seconds=current_app.config["REFRESH_TOKEN_LIFETIME"])
        response["refresh_token"] = _refresh_token(
            RefreshToken(
                authorization_code_id=code.id,
                client_id=client.client_id,
                account_id=account.id,
                scope=code.scope,
                auth_time=code.auth_time,
                acr=code.acr,
                amr=code.amr,
                sid=code.sid,
                issued_at=now,
                expires_at=now + lifetime,
            )
        )
    return response


def issue_for_refresh(
    previous: RefreshToken, account: Account, client: Client, scope: str
) -> dict[str, Any]:
    """The token response of a refresh (RFC 6749 §6): an access token for ``scope`` (at most
    the family's) and the family's next refresh token, with the family's scope (RFC 6749 §6)
    and expiry (rotation does not extend a family).

    The access token carries no ``sid``: it is issued under offline access, not under the
    browser session. The rows are added to the session, not committed: the grant commits them
    together with the consumption of ``previous``.
    """
    now = clock.now()
    response = _access_token(
        account,
        client,
        scope=scope,
        family=previous.authorization_code_id,
        auth_time=previous.auth_time,
        acr=previous.acr,
        amr=previous.amr,
        sid=None,
        now=now,
    )
    response["refresh_token"] = _refresh_token(
        RefreshToken(
            authorization_code_id=previous.authorization_code_id,
            client_id=previous.client_id,
            account_id=previous.account_id,
            scope=previous.scope,
            auth_time=previous.auth_time,
            acr=previous.acr,
            amr=previous.amr,
            sid=previous.sid,
            issued_at=now,
            expires_at=previous.expires_at,
        )
    )
    return response


def _access_token(
    account: Account,
    client: Client,
    *,
    scope: str,
    family: int,
    auth_time: datetime,
    acr: str,
    amr: list[str],
    sid: str | None,
    now: datetime,
) -> dict[str, Any]:
    """An RFC 9068 JWT access token: ``typ`` ``at+jwt`` (§2.1), the claims of §2.2 with ``sub``
    the same pairwise identifier the ID token carries, signed with our ES256 key."""
    config = current_app.config
    lifetime = int(config["ACCESS_TOKEN_LIFETIME"])
    jti = secrets.token_urlsafe(24)
    issued_at = int(now.timestamp())
    claims = {
        "iss": config["ISSUER"],
        "exp": issued_at + lifetime,
        "aud": access_token_audience(config["ISSUER"]),
        "sub": subject_for(account, client, salt=config["SUBJECT_SALT"]),
        "client_id": client.client_id,
        "iat": issued_at,
        "jti": jti,
        "scope": scope,
        "auth_time": int(auth_time.timestamp()),
        "acr": acr,
        "amr": amr,
    }
    kid, key = active_key(ACCESS_TOKEN_ALG)
    token = jwt.encode(
        {"typ": "at+jwt", "alg": ACCESS_TOKEN_ALG, "kid": kid},
        claims,
        key,
        algorithms=[ACCESS_TOKEN_ALG],
    )
    db.session.add(
        Token(
            access_token_hash=digest(token),
            jti=jti,
            client_id=client.client_id,
            account_id=account.id,
            scope=scope,
            acr=acr,
            authorization_code_id=family,
            sid=sid,
            issued_at=now,
            expires_at=now + timedelta(seconds=lifetime),
        )
    )
    return {"token_type": "Bearer", "access_token": token, "expires_in": lifetime, "scope": scope}


def _refresh_token(row: RefreshToken) -> str:
    token = secrets.token_urlsafe(32)
    row.token_hash = digest(token)
    db.session.add(row)
    return token


def consume_refresh_token(token: str, client_id: str) -> RefreshToken | None:
    """Consume a refresh token of ``client_id`` in one conditional UPDATE, so of two concurrent
    uses exactly one wins. The consumption is not committed here: it is committed with the
    family's next token, so a concurrent reuse, which waits for that commit, revokes both.

    RFC 9700 §4.14.2: a consumed (rotated) token presented again means that the family leaked,
    so the whole family is revoked. A token of another client is refused and left alone.
    """
    now = clock.now()
    token_hash = digest(token)
    consumed = db.session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.client_id == client_id,
            RefreshToken.consumed_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(consumed_at=now)
        .returning(RefreshToken.id)
    ).scalar()
    if consumed is not None:
        return db.session.get(RefreshToken, consumed)
    reused = db.session.scalar(
        select(RefreshToken.authorization_code_id).where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.client_id == client_id,
            RefreshToken.consumed_at.is_not(None),
            RefreshToken.revoked_at.is_(None),
        )
    )
    if reused is not None:
        log.warning("rotated refresh token reused by %s: family %d revoked", client_id, reused)
        revoke_family(reused)
    return None


def commit_keeping_loaded() -> None:
    """Commit without expiring the rows this request has loaded. A token request reads the
    client, the account and the code (or refresh token) once, then commits twice (the code's
    consumption, then the tokens); expired, each row would be read again for the ID token and
    again for the ledger entry, though nothing this request relies on has changed: the commit
    only wrote what it holds already."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def revoke_family(family: int) -> None:
    """Revoke every refresh token and access token that descends from the code ``family``."""
    now = clock.now()
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.authorization_code_id == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(
        update(Token)
        .where(Token.authorization_code_id == family, Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.commit()


def revoke_session_tokens(sid: str) -> int:
    """Revoke the access tokens issued in the provider session ``sid`` (when it ends: logout);
    return how many.

    Refresh tokens are left alive: they exist only for grants that include ``offline_access``,
    which by definition keep access after the citizen has signed out (OIDC Core §11). The
    access tokens a refresh issues carry no ``sid``, so they are not touched either. To end
    offline access too, revoke the family (``revoke_family``).
    """
    result = db.session.execute(
        update(Token)
        .where(Token.sid == sid, Token.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    db.session.commit()
    assert isinstance(result, CursorResult)
    return result.rowcount


def revoke_account_tokens(account_id: int, client_id: str | None = None) -> int:
    """Revoke every live access and refresh token of the account, offline access included, or
    only those ``client_id`` holds; return how many. An officer's reset revokes them all (the
    credentials they were issued under may be in other hands); a withdrawn consent, the
    portal's (introspection, userinfo and refresh refuse them at once)."""
    now = clock.now()
    revoked = 0
    for table in (Token, RefreshToken):
        held = (table.client_id == client_id,) if client_id is not None else ()
        result = db.session.execute(
            update(table)
            .where(
                table.account_id == account_id,
                *held,
                table.revoked_at.is_(None),
                table.expires_at > now,
            )
            .values(revoked_at=now)
        )
        assert isinstance(result, CursorResult)
        revoked += result.rowcount
    db.session.commit()
    return revoked


def find_access_token(token: str) -> Token | None:
    return db.session.scalar(select(Token).where(Token.access_token_hash == digest(token)))


def find_refresh_token(token: str) -> RefreshToken | None:
    return db.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(token)))


def revoke_access_token(row: Token) -> None:
    """RFC 7009 §2.1: revoking an access token revokes it alone."""
    db.session.execute(
        update(Token)
        .where(Token.id == row.id, Token.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    db.session.commit()
