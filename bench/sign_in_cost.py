"""What one sign-in costs, for the capacity plan (docs/operations.md §12).

    python bench/sign_in_cost.py postgresql+psycopg://postgres@127.0.0.1:5432/scratch \
        --sign-ins 40 --verifies 60

Measures, in this process:

1. Argon2id verification with the provider's parameters (``authn/password.HASHER``): CPU time
   and wall time per verification, one thread.
2. ``--sign-ins`` whole sign-ins through the provider's pages and endpoints with Flask's test
   client (authorize, password page and post, consent page and post, resume, token, userinfo),
   against the PostgreSQL database given, in a schema of its own (``sign_in_cost``, dropped and
   made again: never point this at a real database). Per sign-in: wall time; CPU time of the
   application inside its WSGI calls (the test client's own work left out) and of this
   database's PostgreSQL backends (read from /proc: the server must run on this host); SQL
   statements, commits and throttle-store operations; the rows each table gained and their
   average size. Run it with ``PYTHONPATH=.``: it borrows the tests' builders.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, event, func, make_url, select, text
from sqlalchemy.engine import Engine

from idp import clock, create_app
from idp.authn import password, throttle
from idp.database import upgrade_to_latest
from idp.extensions import db
from idp.keys.store import ensure_keys
from tests.conftest import environ_for
from tests.factories import make_account, make_citizen, make_portal
from tests.integration.conftest import Flow, english

SCHEMA = "sign_in_cost"


def verify_cost(count: int) -> tuple[float, float]:
    """Seconds of CPU and of wall time per Argon2id verification (one thread)."""
    stored = password.hash_password("correct horse battery staple")
    password.verify_password(stored, "warm up")
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        password.verify_password(stored, "a wrong password of ordinary length")
    return (time.process_time() - cpu) / count, (time.perf_counter() - wall) / count


class Statements:
    """SQL statements and commits sent by every engine of this process."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "commit", self._commit)

    def _statement(self, *_: Any) -> None:
        self.statements += 1

    def _commit(self, *_: Any) -> None:
        self.commits += 1


class AppCpu:
    """CPU seconds spent inside the application's WSGI calls, so the test client's own work
    (building requests, parsing pages for their forms) is left out."""

    def __init__(self, app: Flask) -> None:
        self.seconds = 0.0
        self._inner = app.wsgi_app
        app.wsgi_app = self._measured  # type: ignore[method-assign]

    def _measured(self, environ: Any, start_response: Any) -> Any:
        began = time.process_time()
        try:
            return list(self._inner(environ, start_response))
        finally:
            self.seconds += time.process_time() - began


class ThrottleCalls:
    """Operations on the throttle's storage (Redis in production), counted."""

    def __init__(self, app: Flask) -> None:
        self.count = 0
        storage = app.extensions[throttle.EXTENSION].storage
        for name in ("incr", "get", "clear"):
            setattr(storage, name, self._counting(getattr(storage, name)))

    def _counting(self, operation: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return operation(*args, **kwargs)

        return counted


class DatabaseCpu:
    """CPU seconds used by this database's PostgreSQL backends (read from /proc: the server
    must run on this host), from now until :meth:`seconds`."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._start = self._ticks()

    def _ticks(self) -> dict[int, int]:
        with self._app.app_context():
            pids = db.session.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            ).all()
            db.session.remove()
        ticks = {}
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
        return ticks

    def seconds(self) -> float:
        end = self._ticks()
        used = sum(t - self._start.get(pid, 0) for pid, t in end.items())
        return used / os.sysconf("SC_CLK_TCK")


def row_counts() -> Counter[str]:
    return Counter(
        {
            table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url", help="a scratch PostgreSQL database (postgresql+psycopg)")
    parser.add_argument("--sign-ins", type=int, default=40)
    parser.add_argument("--verifies", type=int, default=60)
    args = parser.parse_args()

    verify_cpu, verify_wall = verify_cost(args.verifies)
    print(f"Argon2id verify: {verify_cpu * 1000:.1f} ms CPU, {verify_wall * 1000:.1f} ms wall")

    admin = create_engine(args.database_url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    url = make_url(args.database_url).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    environ = environ_for(url.render_as_string(hide_password=False), Path(tempfile.mkdtemp()))
    app = create_app({**environ, "IDP_LOCKOUT_THRESHOLD": "1000"})
    with app.app_context():
        upgrade_to_latest()
        ensure_keys()
        make_citizen()
        make_account(with_totp=False)
        portal = make_portal(scope="openid profile")
        before = row_counts()
        db.session.remove()

    counted = Statements()
    throttle_calls = ThrottleCalls(app)
    database_cpu = DatabaseCpu(app)
    app_cpu = AppCpu(app)
    walls, pages_cpu, portal_cpu = [], [], []
    for _ in range(args.sign_ins):
        flow = Flow(english(app), portal, None, clock.now)
        cpu, wall = app_cpu.seconds, time.perf_counter()
        signed_in = flow.sign_in(
            flow.authorize(scope="openid profile", nonce=secrets.token_urlsafe(16))
        )
        # The first sign-in consents; the others find their consent remembered.
        consent = flow.browser.get(signed_in.headers["Location"])
        if consent.status_code == 200:
            consent = flow.consent(signed_in)
        callback = flow.follow_to_portal(consent)
        pages_cpu.append(app_cpu.seconds - cpu)
        cpu = app_cpu.seconds
        issued = flow.redeem(callback["code"]).get_json()
        claims = flow.browser.get(
            "/userinfo", headers={"Authorization": f"Bearer {issued['access_token']}"}
        )
        assert claims.status_code == 200, claims.get_data(as_text=True)
        portal_cpu.append(app_cpu.seconds - cpu)
        walls.append(time.perf_counter() - wall)
    database_seconds = database_cpu.seconds()

    with app.app_context():
        gained = row_counts() - before
        # The bytes of a row's data alone (PostgreSQL's pg_column_size of the whole row).
        row_bytes = {
            # The names come from the models' metadata, not from input.
            table: db.session.scalar(text(f"SELECT avg(pg_column_size(t.*)) FROM {table} t"))  # noqa: S608
            for table in gained
        }
        db.session.remove()
        db.engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    admin.dispose()

    n = args.sign_ins
    print(
        f"{n} sign-ins (the first consents, the others find consent remembered), each with a "
        f"token and a userinfo request: median {statistics.median(walls) * 1000:.0f} ms wall;\n"
        f"  CPU of the pages (authorize to the code, with one Argon2id verify): median "
        f"{statistics.median(pages_cpu) * 1000:.0f} ms; of token and userinfo: median "
        f"{statistics.median(portal_cpu) * 1000:.0f} ms;\n"
        f"  PostgreSQL backends' CPU: {database_seconds / n * 1000:.1f} ms; "
        f"{counted.statements / n:.1f} SQL statements, {counted.commits / n:.1f} commits, "
        f"{throttle_calls.count / n:.1f} throttle-store operations per sign-in"
    )
    for table, rows in sorted(gained.items()):
        print(f"  {table}: {rows / n:.2f} rows per sign-in, {row_bytes[table]:.0f} bytes a row")


if __name__ == "__main__":
    main()
