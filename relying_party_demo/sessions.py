"""Server-side sessions: the cookie holds only a random session id, the data a SQLite row.

Why not Flask's signed cookie: back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.7)
ends a citizen's session from a request that carries no cookie of theirs, so the portal must find
sessions by the provider's ``sid`` and by ``sub``; and the token inspector keeps the raw tokens,
which must never travel in a cookie.

- The id is 256 random bits; the row is stored under ``HMAC-SHA256(RP_SECRET_KEY, id)``, so a
  copy of the file gives no usable cookie.
- A session lives at most :data:`SESSION_LIFETIME` seconds from its creation.
- A new id is issued whenever the session is :meth:`regenerated <ServerSession.regenerate>`
  (signing in and out), and the old row deleted: a planted id never becomes a signed-in session.
- Saving a session that was ended meanwhile (by back-channel logout) does not bring it back.

The same file holds the ``jti`` of every logout token received until it expires, so a replayed
token is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, Request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response

from relying_party_demo import clock

DATABASE_FILE = "portal.sqlite3"
SESSION_LIFETIME = 8 * 3600
# The keys of the session whose claims name the provider's session (sid) and the citizen (sub).
ID_TOKEN_CLAIMS_KEY = "id_token_claims"  # noqa: S105 (a key name, not a secret)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_digest TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    provider_sid TEXT,
    subject TEXT,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_provider_sid ON sessions (provider_sid);
CREATE INDEX IF NOT EXISTS sessions_by_subject ON sessions (subject);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS logout_tokens (
    jti TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
"""


class SessionStore:
    """The rows behind the portal's sessions, in one SQLite file (one connection per call, so
    any number of threads or worker processes on this host can share it)."""

    def __init__(self, path: Path, secret_key: str, lifetime: int = SESSION_LIFETIME) -> None:
        self.path = path
        self._key = secret_key.encode()
        self.lifetime = lifetime
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._connection() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # Autocommit: every statement below is one atomic change.
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as db:
            yield db

    def digest(self, session_id: str) -> str:
        return hmac.new(self._key, session_id.encode(), hashlib.sha256).hexdigest()

    def load(self, session_id: str) -> dict[str, Any] | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT data FROM sessions WHERE id_digest = ? AND expires_at > ?",
                (self.digest(session_id), clock.now()),
            ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return data if isinstance(data, dict) else None

    def insert(self, session_id: str, data: Mapping[str, Any]) -> None:
        now = clock.now()
        sid, sub = _provider_keys(data)
        with self._connection() as db:
            db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            db.execute(
                "INSERT INTO sessions (id_digest, data, provider_sid, subject, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (self.digest(session_id), _dump(data), sid, sub, now + self.lifetime),
            )

    def update(self, session_id: str, data: Mapping[str, Any]) -> bool:
        """Write ``data`` over a live session; False when it has ended (expired or logged out
        by the provider), which stays ended."""
        sid, sub = _provider_keys(data)
        with self._connection() as db:
            changed = db.execute(
                "UPDATE sessions SET data = ?, provider_sid = ?, subject = ? "
                "WHERE id_digest = ? AND expires_at > ?",
                (_dump(data), sid, sub, self.digest(session_id), clock.now()),
            ).rowcount
        return changed == 1

    def delete(self, session_id: str) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM sessions WHERE id_digest = ?", (self.digest(session_id),))

    def end_sessions(self, *, sid: str | None, sub: str | None) -> int:
        """Delete the sessions of a provider session (``sid``, and ``sub`` when both are given)
        or, with ``sub`` alone, every session of that citizen (Back-Channel Logout §2.7)."""
        args: tuple[str, ...]
        if sid is not None and sub is not None:
            where, args = "provider_sid = ? AND subject = ?", (sid, sub)
        elif sid is not None:
            where, args = "provider_sid = ?", (sid,)
        elif sub is not None:
            where, args = "subject = ?", (sub,)
        else:
            return 0
        with self._connection() as db:
            return db.execute(f"DELETE FROM sessions WHERE {where}", args).rowcount  # noqa: S608

    def count_sessions(self, *, sid: str | None = None, sub: str | None = None) -> int:
        with self._connection() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM sessions WHERE expires_at > ? "
                "AND (? IS NULL OR provider_sid = ?) AND (? IS NULL OR subject = ?)",
                (clock.now(), sid, sid, sub, sub),
            ).fetchone()
        return int(row[0])

    def record_jti(self, jti: str, expires_at: int) -> bool:
        """Remember a logout token's ``jti`` until it expires; False when it was seen before."""
        now = clock.now()
        with self._connection() as db:
            db.execute("DELETE FROM logout_tokens WHERE expires_at <= ?", (now,))
            try:
                db.execute(
                    "INSERT INTO logout_tokens (jti, expires_at) VALUES (?, ?)",
                    (jti, max(expires_at, now + 1)),
                )
            except sqlite3.IntegrityError:
                return False
        return True


def _provider_keys(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    claims = data.get(ID_TOKEN_CLAIMS_KEY)
    if not isinstance(claims, Mapping):
        return None, None
    sid, sub = claims.get("sid"), claims.get("sub")
    return (sid if isinstance(sid, str) else None), (sub if isinstance(sub, str) else None)


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session of one request; ``session_id`` is None until it is first stored."""

    def __init__(self, initial: Mapping[str, Any] | None, session_id: str | None) -> None:
        def on_update(session: ServerSession) -> None:
            session.modified = True

        super().__init__(initial, on_update)
        self.session_id = session_id
        self.new = session_id is None
        self.modified = False
        # Whether this request read the session: its response then varies by cookie.
        self.accessed = False
        self.ended_id: str | None = None

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().setdefault(key, default)

    def regenerate(self) -> None:
        """Give the session a new id when it is saved, and delete the row of the old one."""
        if self.session_id is not None:
            self.ended_id = self.session_id
        self.session_id = None
        self.modified = True


class PortalSessionInterface(SessionInterface):
    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        session_id = request.cookies.get(self.get_cookie_name(app))
        if session_id:
            data = self.store.load(session_id)
            if data is not None:
                return ServerSession(data, session_id)
        return ServerSession(None, None)

    def save_session(
        self,
        app: Flask,
        session: SessionMixin,
        response: Response,
    ) -> None:
        assert isinstance(session, ServerSession)
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            response.vary.add("Cookie")
        if session.ended_id is not None:
            self.store.delete(session.ended_id)
            session.ended_id = None
        if not session.modified:
            return

        def forget_cookie() -> None:
            response.delete_cookie(
                name, domain=domain, path=path, secure=secure, samesite=samesite, httponly=httponly
            )

        if not session:
            if session.session_id is not None:
                self.store.delete(session.session_id)
            forget_cookie()
            return
        if session.session_id is not None:
            if not self.store.update(session.session_id, session):
                forget_cookie()
            return
        session_id = secrets.token_urlsafe(32)
        self.store.insert(session_id, session)
        session.session_id = session_id
        response.set_cookie(
            name,
            session_id,
            domain=domain,
            path=path,
            secure=secure,
            samesite=samesite,
            httponly=httponly,
        )


def init_app(app: Flask, store: SessionStore) -> None:
    app.session_interface = PortalSessionInterface(store)
    app.extensions["relying_party_demo.sessions"] = store


def session_store(app: Flask) -> SessionStore:
    store: SessionStore = app.extensions["relying_party_demo.sessions"]
    return store
