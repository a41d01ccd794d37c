"""Every query on a request path is answered through an index (DESIGN.md §4: the registry scales
to a nation; nothing scans a table on a request path).

The statements are not listed by hand: they are captured as a real sign-in, code exchange,
userinfo, refresh, introspection, second sign-in, revocation, sign-out and passkey sign-in run
through the provider, so a query added tomorrow is checked too. Each is then planned by
PostgreSQL with its own parameters and with sequential scans priced out of reach
(``enable_seqscan = off``): a table of any size then gets an index scan wherever an index can
serve the query, so a sequential scan left in a plan, or an index read from end to end, means
that on a table of millions the query would read them all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, has_request_context
from sqlalchemy import event

from idp.extensions import db
from tests.integration.conftest import Flow, english, flow_with
from tests.integration.test_passkey_sign_in import _give_passkey as give_passkey
from tests.integration.test_passkey_sign_in import use_passkey

# Tables that hold a handful of rows by design, which a scan reads at once.
SMALL_TABLES = frozenset(
    {
        "signing_key",  # the keys in rotation: a few at any time
        "audit_head",  # one row: the head of the hash chain
        "alembic_version",
    }
)
SCOPE = (
    "openid profile address phone email citizen_id health_insurance social_insurance "
    "driving_license vehicle_registration education vaccination offline_access"
)
SCAN_NODES = frozenset({"Index Scan", "Index Only Scan", "Bitmap Index Scan"})

Captured = dict[str, Mapping[str, Any] | None]


# Plans are PostgreSQL's: these tests run on it alone (skipped when IDP_TEST_DATABASE_URL is not
# set), not once per database.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def postgres_flow(app: Flask) -> Iterator[Flow]:
    yield from flow_with(app, scope=SCOPE)


@pytest.fixture
def captured(app: Flask) -> Iterator[Captured]:
    """Each distinct statement the provider sends to the database while it serves a request (not
    the test's own set-up), with its first parameters."""
    statements: Captured = {}
    with app.app_context():
        engine = db.engine

    def capture(
        _connection: object,
        _cursor: object,
        statement: str,
        parameters: Any,
        _context: object,
        executemany: bool,
    ) -> None:
        if has_request_context():
            statements.setdefault(statement, parameters[0] if executemany else parameters)

    event.listen(engine, "before_cursor_execute", capture)
    yield statements
    event.remove(engine, "before_cursor_execute", capture)


def full_reads(plan: Mapping[str, Any], limited: bool = False) -> Iterator[str]:
    """The scans in ``plan`` that would read a whole table or index. An index read without a
    condition is fine only under a ``Limit`` (the newest row, by an ordered index)."""
    node = plan["Node Type"]
    limited = limited or node == "Limit"
    if node == "Seq Scan" and plan["Relation Name"] not in SMALL_TABLES:
        yield f"Seq Scan on {plan['Relation Name']}"
    if node in SCAN_NODES and "Index Cond" not in plan and not limited:
        yield f"{node} of all of {plan['Index Name']}"
    for child in plan.get("Plans", ()):
        yield from full_reads(child, limited)


def run_the_request_paths(app: Flask, flow: Flow) -> None:
    """Sign in (password and one-time code), consent, redeem the code, read userinfo, refresh,
    introspect, sign in again in the same browser (session and remembered consent), revoke a
    token, sign out, then sign in in a new browser with a passkey (credential by id)."""
    callback = flow.code(scope=SCOPE, prompt="consent")
    tokens = flow.redeem(callback["code"]).get_json()
    assert "refresh_token" in tokens, tokens
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert flow.browser.get("/userinfo", headers=bearer).status_code == 200
    refreshed = flow.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.get_data(as_text=True)
    introspection = flow.post_as_portal("/introspect", token=refreshed.get_json()["access_token"])
    assert introspection.get_json()["active"] is True
    again = flow.follow_to_portal(flow.authorize(scope=SCOPE, nonce="a-second-nonce-123456"))
    second = flow.redeem(again["code"]).get_json()
    revoked = flow.post_as_portal("/revoke", token=second["access_token"])
    assert revoked.status_code == 200
    ended = flow.browser.get(f"/logout?{urlencode({'id_token_hint': second['id_token']})}")
    assert ended.status_code in (200, 303), ended.get_data(as_text=True)

    authenticator = give_passkey(app)
    elsewhere = Flow(english(app), flow.portal, flow.totp_secret, flow.advance)
    signed_in = use_passkey(
        elsewhere, elsewhere.authorize(scope=SCOPE, nonce="a-third-nonce-1234567"), authenticator
    )
    assert elsewhere.redeem(elsewhere.follow_to_portal(signed_in)["code"]).status_code == 200


def test_request_path_queries_use_indexes(
    app: Flask, postgres_flow: Flow, captured: Captured
) -> None:
    run_the_request_paths(app, postgres_flow)

    planned = 0
    problems: list[str] = []
    with app.app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in list(captured.items()):
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
                continue
            (plan,) = connection.exec_driver_sql(
                f"EXPLAIN (FORMAT JSON) {statement}", parameters or {}
            ).scalar_one()
            planned += 1
            problems.extend(
                f"{scan}: {' '.join(statement.split())[:300]}" for scan in full_reads(plan["Plan"])
            )
        connection.rollback()

    assert planned > 20, "the flow ran fewer queries than a sign-in makes"
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_scan(app: Flask, postgres_flow: Flow) -> None:
    """The plan walker itself: a query by an unindexed column is caught."""
    with app.app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        (plan,) = connection.exec_driver_sql(
            "EXPLAIN (FORMAT JSON) SELECT id FROM citizen WHERE given_name = %(name)s",
            {"name": "An"},
        ).scalar_one()
    assert list(full_reads(plan["Plan"])) in (
        ["Seq Scan on citizen"],
        ["Index Scan of all of pk_citizen"],
    )
