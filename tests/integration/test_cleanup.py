"""`idp cleanup` removes only what can no longer be used."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from idp.cleanup import purge_expired
from idp.extensions import db
from idp.models import AuthorizationCode, AuthorizationTransaction, BrowserSession, Token
from tests.integration.conftest import Flow


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_cleanup_keeps_live_state_and_deletes_expired(app: Flask, flow: Flow) -> None:
    flow.redeem(flow.code()["code"])
    with app.app_context():
        assert purge_expired().tokens == 0
    assert _count(app, Token) == 1
    assert _count(app, AuthorizationCode) == 1

    flow.advance(3600 * 2)  # past every lifetime
    with app.app_context():
        purged = purge_expired()
    assert purged.tokens == 1
    assert purged.codes == 1
    assert purged.transactions == 1
    assert _count(app, AuthorizationTransaction) == 0
    assert _count(app, BrowserSession) == 0


def test_cleanup_keeps_the_codes_of_a_live_session_for_logout(app: Flask, flow: Flow) -> None:
    flow.redeem(flow.code()["code"])
    flow.advance(700)  # code and access token expired, the session still alive (idle 15 min)
    flow.browser.get("/authorize")  # any request counts as use of the session
    with app.app_context():
        purged = purge_expired()
    assert purged.codes == 0
    assert _count(app, AuthorizationCode) == 1
