"""How many SQL statements the hot endpoints send (issue 8: find the time, then keep it found).

Each count is exact, so one more query on a token exchange, a refresh or a userinfo call fails
here and has to be argued for. The audit ledger's entry (its head ``UPDATE … RETURNING``, the
entry ``INSERT`` and their commit) is counted with the rest: it is part of the cost. The
signing keys are counted as a worker serves most requests: from its copy of the key rows, which
it reads again every ``store.KEY_ROWS_REUSE`` seconds (the first test below counts that read).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from idp.extensions import db
from idp.keys import store
from tests.integration.conftest import Flow, flow_with

OFFLINE_SCOPE = "openid profile citizen_id offline_access"


@pytest.fixture
def offline(app: Flask) -> Iterator[Flow]:
    yield from flow_with(app, scope=OFFLINE_SCOPE)


@pytest.fixture(autouse=True)
def _keys_read_long_ago(monkeypatch: pytest.MonkeyPatch) -> None:
    """However slow the machine, the worker's copy of the key rows stays fresh in a test."""
    monkeypatch.setattr(store, "KEY_ROWS_REUSE", 3600.0)


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements sent on any connection of the app's engine within the block."""
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split())[:150])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _counted(app: Flask, call: Any) -> tuple[Any, list[str]]:
    app.test_client().get("/jwks.json")  # a worker that has served before holds the key rows
    with statements(app) as sent:
        response = call()
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, sent


def test_a_code_exchange(app: Flask, offline: Flow) -> None:
    code = offline.code(scope=OFFLINE_SCOPE)["code"]
    _, sent = _counted(app, lambda: offline.redeem(code))
    assert len(sent) == EXCHANGE, "\n".join(sent)


def test_a_refresh(app: Flask, offline: Flow) -> None:
    tokens = offline.redeem(offline.code(scope=OFFLINE_SCOPE)["code"]).get_json()
    _, sent = _counted(app, lambda: offline.refresh(tokens["refresh_token"]))
    assert len(sent) == REFRESH, "\n".join(sent)


def test_a_userinfo_call(app: Flask, flow: Flow) -> None:
    """A portal's usual call: not the first, which tells the citizen about the release."""
    tokens = flow.redeem(flow.code()["code"]).get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert flow.browser.get("/userinfo", headers=bearer).status_code == 200
    _, sent = _counted(app, lambda: flow.browser.get("/userinfo", headers=bearer))
    assert len(sent) == USERINFO, "\n".join(sent)


def test_the_jwks_and_discovery(app: Flask, flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    _, sent = _counted(app, lambda: flow.browser.get("/.well-known/openid-configuration"))
    assert sent == []
    _, sent = _counted(app, lambda: flow.browser.get("/jwks.json"))
    assert sent == []  # the worker's copy of the key rows
    monkeypatch.setattr(store, "KEY_ROWS_REUSE", 0.0)
    _, sent = _counted(app, lambda: flow.browser.get("/jwks.json"))
    assert len(sent) == JWKS, "\n".join(sent)  # read again once the copy is older


EXCHANGE = 10
REFRESH = 10
USERINFO = 7
JWKS = 1
