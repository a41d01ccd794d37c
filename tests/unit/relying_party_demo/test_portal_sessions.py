"""The portal's server-side session store: rows keyed by a digest of the cookie's random id,
found by the provider's sid and sub, expiring by themselves; and the logout tokens' jtis."""

from __future__ import annotations

from pathlib import Path

import pytest

from relying_party_demo import clock
from relying_party_demo.sessions import SessionStore


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "portal.sqlite3", "a-secret-key", lifetime=3600)


def signed_in(sid: str, sub: str) -> dict[str, object]:
    return {"id_token_claims": {"sid": sid, "sub": sub}, "userinfo": {"sub": sub}}


def test_a_session_is_stored_under_a_keyed_digest(store: SessionStore, tmp_path: Path) -> None:
    store.insert("the-cookie-value", {"a": 1})
    assert store.load("the-cookie-value") == {"a": 1}
    for file in tmp_path.iterdir():  # the database and its write-ahead log
        assert b"the-cookie-value" not in file.read_bytes()
    other_key = SessionStore(tmp_path / "portal.sqlite3", "another-key")
    assert other_key.load("the-cookie-value") is None


def test_sessions_are_ended_by_sid_or_by_sub(store: SessionStore) -> None:
    store.insert("browser-1", signed_in("sid-1", "citizen-a"))
    store.insert("browser-2", signed_in("sid-2", "citizen-a"))
    store.insert("browser-3", signed_in("sid-3", "citizen-b"))
    assert store.end_sessions(sid="sid-1", sub="citizen-b") == 0  # both must match
    assert store.end_sessions(sid="sid-1", sub="citizen-a") == 1
    assert store.load("browser-1") is None
    assert store.end_sessions(sid=None, sub="citizen-a") == 1
    assert store.load("browser-2") is None
    assert store.load("browser-3") is not None
    assert store.end_sessions(sid=None, sub=None) == 0


def test_an_ended_session_stays_ended(store: SessionStore) -> None:
    store.insert("browser", signed_in("sid", "citizen"))
    store.delete("browser")
    assert store.update("browser", {"late": "write"}) is False
    assert store.load("browser") is None


def test_sessions_expire(store: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.insert("browser", {"a": 1})
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now + 3600)
    assert store.load("browser") is None
    assert store.update("browser", {"a": 2}) is False


def test_a_jti_is_accepted_once_until_it_expires(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.now()
    assert store.record_jti("jti-1", now + 120)
    assert not store.record_jti("jti-1", now + 120)
    monkeypatch.setattr(clock, "now", lambda: now + 121)
    # Expired tokens are refused on exp anyway; their jtis need not be kept.
    assert store.record_jti("jti-1", now + 300)
