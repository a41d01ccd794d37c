"""The officer's commands: `idp accounts reset` and `idp accounts verify-identity`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from idp import clock
from idp.accounts.security import regenerate_recovery_codes
from idp.accounts.service import check_password
from idp.extensions import db
from idp.keys.store import ensure_keys
from idp.models import Account, BrowserSession, RecoveryCode, RefreshToken, Token
from idp.notify.outbox import recent_messages
from tests.factories import PASSWORD, make_account, make_citizen, make_portal
from tests.integration.conftest import START, Flow, english
from tests.integration.test_cli import run

CITIZEN_ID = "087084000999"


@pytest.fixture
def offline_flow(app: Flask) -> Iterator[Flow]:
    """A citizen with TOTP signed in at a portal that also holds a refresh token."""
    with clock.frozen(START) as advance:
        with app.app_context():
            ensure_keys()
            make_citizen(CITIZEN_ID)
            secret = make_account(CITIZEN_ID)
            portal = make_portal(scope="openid profile offline_access")
        flow = Flow(english(app), portal, secret, advance)
        tokens = flow.redeem(flow.code(scope="openid profile offline_access")["code"]).get_json()
        assert "refresh_token" in tokens
        yield flow


def _account(app: Flask) -> Account:
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account is not None
        db.session.expunge(account)
        return account


def test_reset_removes_credentials_ends_sessions_and_revokes_tokens(
    app: Flask, offline_flow: Flow
) -> None:
    with app.app_context():
        regenerate_recovery_codes(_account(app))
    code, output = run(app, "accounts", "reset", CITIZEN_ID, "--json")
    assert code == 0, output
    assert json.loads(output) == {
        "citizen_id": CITIZEN_ID,
        "identity_level": 1,
        "sessions_ended": 1,
        "tokens_revoked": 2,  # the access token and the refresh token (offline access too)
        "notified": "09•••••678",
    }
    account = _account(app)
    assert (account.password_hash, account.totp_secret_sealed, account.totp_last_step) == (
        None,
        None,
        None,
    )
    with app.app_context():
        assert all(s.ended_at for s in db.session.scalars(select(BrowserSession)))
        assert all(t.revoked_at for t in db.session.scalars(select(Token)))
        assert all(t.revoked_at for t in db.session.scalars(select(RefreshToken)))
        assert check_password(CITIZEN_ID, PASSWORD, address=None).reason == "no_password"
        assert db.session.scalars(select(RecoveryCode)).all() == []
        notice = recent_messages()[0]  # newest first
        assert notice.kind == "account_reset"
        assert notice.language == "vi"
    # The browser's session is over: a new authorization asks for a password again.
    again = offline_flow.authorize(scope="openid profile", nonce="after-reset-12345")
    assert "/signin/" in again.headers["Location"]


def test_reset_in_words_and_twice(app: Flask, offline_flow: Flow) -> None:
    code, output = run(app, "accounts", "reset", CITIZEN_ID)
    assert code == 0, output
    assert "1 sessions ended, 2 tokens revoked" in output
    assert "notice sent to 09•••••678" in output
    code, output = run(app, "accounts", "reset", CITIZEN_ID)
    assert code == 0, output
    assert "0 sessions ended, 0 tokens revoked" in output


def test_verify_identity_raises_the_level_once(app: Flask) -> None:
    with app.app_context():
        make_citizen(CITIZEN_ID)
        make_account(CITIZEN_ID, with_totp=False)
    code, output = run(app, "accounts", "verify-identity", CITIZEN_ID, "--json")
    assert code == 0, output
    assert json.loads(output) == {
        "citizen_id": CITIZEN_ID,
        "identity_level": 2,
        "changed": True,
        "notified": "09•••••678",
    }
    assert _account(app).identity_level == 2
    code, output = run(app, "accounts", "verify-identity", CITIZEN_ID)
    assert code == 0, output
    assert "at identity level 2 already" in output
    with app.app_context():
        assert [m.kind for m in recent_messages()] == ["identity_verified"]


@pytest.mark.parametrize("command", ["reset", "verify-identity"])
def test_unknown_number_and_citizen_without_account_are_clear_errors(
    app: Flask, command: str
) -> None:
    code, output = run(app, "accounts", command, "001090012345")
    assert code == 1
    assert "no citizen with this number is in the registry" in output
    with app.app_context():
        make_citizen(CITIZEN_ID)
    code, output = run(app, "accounts", command, CITIZEN_ID)
    assert code == 1
    assert "this citizen has no e-ID account" in output
    with app.app_context():
        assert recent_messages() == []


def test_a_reset_account_cannot_be_verified_until_activated_again(app: Flask) -> None:
    with app.app_context():
        make_citizen(CITIZEN_ID)
        make_account(CITIZEN_ID, with_totp=False)
    assert run(app, "accounts", "reset", CITIZEN_ID)[0] == 0
    code, output = run(app, "accounts", "verify-identity", CITIZEN_ID)
    assert code == 1
    assert "this account is not active" in output
    assert _account(app).identity_level == 1


def test_reset_lowers_the_identity_level(app: Flask) -> None:
    with app.app_context():
        make_citizen(CITIZEN_ID)
        make_account(CITIZEN_ID, with_totp=False)
    assert run(app, "accounts", "verify-identity", CITIZEN_ID)[0] == 0
    assert run(app, "accounts", "reset", CITIZEN_ID)[0] == 0
    assert _account(app).identity_level == 1
