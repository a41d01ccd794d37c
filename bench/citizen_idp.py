"""The provider under test: a scratch PostgreSQL database, `idp init`, seeded citizens,
accounts with TOTP and a confidential portal, and `idp serve` (gunicorn) with production
settings on 127.0.0.1.

Production refuses an ``http`` issuer, so the provider runs as it does behind a TLS-terminating
proxy: the issuer is ``https://…`` and the bench, standing where the proxy would, talks plain
HTTP to gunicorn on 127.0.0.1. Nothing in production's checks is relaxed; the bench only raises
lifetimes and limits that have their own ``IDP_*`` variable (DESIGN.md §3).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
IDP = str(ROOT / ".venv" / "bin" / "idp")
DATABASE = "bench_run"
POSTGRES = ("-h", "127.0.0.1", "-U", "postgres")
ISSUER = "https://idp.bench.localhost"
REDIRECT_URI = "https://portal.bench.localhost/callback"
SCOPE = "openid profile offline_access"
PASSWORD = "Bench-Citizen-Password-2026"  # noqa: S105 (test accounts in a scratch database)


@dataclass(frozen=True, slots=True)
class Portal:
    client_id: str
    client_secret: str


@dataclass(frozen=True, slots=True)
class Citizen:
    citizen_id: str
    totp_secret: str


def environment(instance: Path, port: int, redis_db: int) -> dict[str, str]:
    """Production settings; secrets fresh for each run (the database is new each run too)."""
    return {
        **os.environ,
        "IDP_ENV": "production",
        "IDP_ISSUER": ISSUER,
        "IDP_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}",
        "IDP_SECRET_KEY": secrets.token_urlsafe(32),
        "IDP_KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "IDP_SUBJECT_SALT": secrets.token_urlsafe(32),
        "IDP_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{redis_db}",
        # The development outbox, named explicitly: production only insists that it is named.
        "IDP_NOTIFIER": "idp.notify.outbox:OutboxNotifier",
        "IDP_INSTANCE_PATH": str(instance),
        # Codes are made before the run and redeemed during it.
        "IDP_CODE_LIFETIME": "3600",
        # Every sign-in comes from 127.0.0.1; the bench makes no failures, but a slow run could.
        "IDP_ADDRESS_FAILURE_LIMIT": "1000000",
        "IDP_BENCH_PORT": str(port),
    }


def _run(*command: str, env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        command, env=env, input=stdin, capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(env: dict[str, str], *, citizens: int) -> tuple[Portal, list[Citizen]]:
    """A new database with the schema, keys, ``citizens`` accounts with TOTP and one portal."""
    started = time.monotonic()

    def done(what: str) -> None:
        print(f"  {what}: {time.monotonic() - started:.1f} s", flush=True)

    _run("dropdb", "--if-exists", "--force", *POSTGRES, DATABASE, env=env)
    _run("createdb", *POSTGRES, DATABASE, env=env)
    _run("redis-cli", "-n", env["IDP_RATELIMIT_STORAGE_URI"].rsplit("/", 1)[1], "FLUSHDB", env=env)
    _run(IDP, "init", env=env)
    done("idp init")
    _run(IDP, "population", "seed", "--count", str(citizens), "--seed", "8", env=env)
    listed = json.loads(
        _run(IDP, "population", "list", "--limit", str(citizens), "--json", env=env)
    )
    numbers = [record["citizen_id"] for record in listed]
    done("idp population seed")
    created = json.loads(
        _run(
            IDP,
            "clients",
            "create",
            "--name",
            "Bench portal",
            "--redirect-uri",
            REDIRECT_URI,
            "--scope",
            SCOPE,
            "--purpose",
            "profile=Benchmark",
            "--json",
            env=env,
        )
    )
    portal = Portal(created["client_id"], created["client_secret"])
    done("idp clients create")
    # `idp accounts create` is one process per account; the same service function, called in
    # two processes, makes hundreds in seconds (each hashes a password with Argon2id).
    halves = [numbers[0::2], numbers[1::2]]
    with ProcessPoolExecutor(2) as pool:
        parts = pool.map(_create_accounts, [env, env], [portal.client_id] * 2, halves)
        made = [citizen for part in parts for citizen in part]
    done("accounts")
    return portal, made


def _create_accounts(env: dict[str, str], client_id: str, numbers: list[str]) -> list[Citizen]:
    """Accounts with TOTP that already consented to the portal: the measured sign-ins have
    their consent remembered, as a returning citizen's is."""
    from idp import create_app
    from idp.accounts.service import create_account
    from idp.consent.service import record_consent
    from idp.oidc.clients import find_client

    app = create_app(env)
    made = []
    with app.app_context():
        client = find_client(client_id)
        assert client is not None
        for number in numbers:
            new = create_account(number, PASSWORD, with_totp=True)
            record_consent(new.account.id, client, SCOPE.split(), SCOPE.split())
            made.append(Citizen(number, str(new.totp_secret)))
    return made


@contextmanager
def serving(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[int]:
    """`idp serve` on 127.0.0.1:``port``; yields the gunicorn master's pid."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [IDP, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        master = None
        try:
            wait_until_up(f"http://127.0.0.1:{port}/.well-known/openid-configuration", process)
            master = gunicorn_pid(process.pid)
            yield master
        finally:
            # `idp serve` waits for gunicorn without passing signals on: stop gunicorn itself.
            if master is not None and master != process.pid:
                os.kill(master, signal.SIGTERM)
            process.terminate()
            process.wait(timeout=30)


def gunicorn_pid(idp_pid: int) -> int:
    """`idp serve` runs gunicorn as its child."""
    children = Path(f"/proc/{idp_pid}/task/{idp_pid}/children").read_text().split()
    return int(children[0]) if children else idp_pid


def wait_until_up(url: str, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited ({process.returncode}); see its log")
        try:
            with urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


def mint_codes(env: dict[str, str], template: str, count: int) -> list[str]:
    """``count`` authorization codes like the one the real flow issued (``template``): same
    citizen, session, scope, PKCE challenge and nonce, each a new random code stored as the
    provider stores it (``tokens.digest``), so each is redeemed once by the token scenario.
    One bulk insert, since issuing thousands through the pages would take longer than the run."""
    from sqlalchemy import insert, select

    from idp import create_app
    from idp.extensions import db
    from idp.models import AuthorizationCode
    from idp.oidc.tokens import digest

    app = create_app(env)
    columns = [c.key for c in AuthorizationCode.__table__.columns if c.key not in ("id",)]
    with app.app_context():
        row = db.session.scalar(
            select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(template))
        )
        assert row is not None, "the template code is not in the database"
        base = {name: getattr(row, name) for name in columns}
        codes = [secrets.token_urlsafe(32) for _ in range(count)]
        db.session.execute(
            insert(AuthorizationCode),
            [{**base, "code_hash": digest(code), "consumed_at": None} for code in codes],
        )
        db.session.commit()
    return codes


def mint_tokens(env: dict[str, str], template: str, count: int) -> list[dict[str, Any]]:
    """``count`` token responses with a refresh token, each of its own family: codes made as
    ``mint_codes`` makes them, consumed, and exchanged by the provider's own
    ``tokens.issue_for_code`` (the function the token endpoint calls), in one transaction."""
    from sqlalchemy import select

    from idp import clock, create_app
    from idp.extensions import db
    from idp.models import Account, AuthorizationCode
    from idp.oidc.clients import find_client
    from idp.oidc.tokens import digest, issue_for_code

    codes = mint_codes(env, template, count)
    app = create_app(env)
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(AuthorizationCode).where(
                    AuthorizationCode.code_hash.in_([digest(code) for code in codes])
                )
            )
        )
        account = db.session.get(Account, rows[0].account_id)
        client = find_client(rows[0].client_id)
        assert account is not None
        assert client is not None
        issued = []
        for row in rows:
            row.consumed_at = clock.now()
            issued.append(issue_for_code(row, account, client, offline=True))
        db.session.commit()
    return issued
