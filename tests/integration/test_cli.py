"""The `idp` command against a real database."""

from __future__ import annotations

import json

import pyotp
import pytest
from flask import Flask
from sqlalchemy import text

from idp.cli import main
from idp.config import ConfigurationError
from idp.database import check_schema_current
from idp.extensions import db
from idp.keys.store import SUPPORTED_ALGS
from tests.factories import make_citizen


def run(app: Flask, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


def test_init_creates_one_key_per_algorithm_and_is_idempotent(app: Flask) -> None:
    code, output = run(app, "init")
    assert code == 0, output
    for alg in SUPPORTED_ALGS:
        assert f"created {alg} signing key" in output
    code, output = run(app, "init")
    assert code == 0
    assert "signing key" not in output
    code, output = run(app, "keys", "list", "--json")
    assert sorted(k["alg"] for k in json.loads(output)) == sorted(SUPPORTED_ALGS)


def test_keys_rotate_adds_a_published_key(app: Flask) -> None:
    run(app, "init")
    code, output = run(app, "keys", "rotate", "--alg", "ES256")
    assert code == 0, output
    assert len(json.loads(run(app, "keys", "list", "--json")[1])) == len(SUPPORTED_ALGS) + 1


def test_accounts_create_with_totp(app: Flask) -> None:
    with app.app_context():
        make_citizen()
    code, output = run(
        app,
        "accounts",
        "create",
        "087084000999",
        "--password-stdin",
        "--with-totp",
        "--json",
        stdin="a long sandbox password\n",
    )
    assert code == 0, output
    data = json.loads(output)
    uri = pyotp.parse_uri(data["otpauth_uri"])
    assert isinstance(uri, pyotp.TOTP)
    assert uri.digits == 6
    assert "a long sandbox password" not in output


@pytest.mark.parametrize(
    ("citizen_id", "message"),
    [("001090012345", "no citizen"), ("087084000999", "already has an account")],
)
def test_accounts_create_refuses(app: Flask, citizen_id: str, message: str) -> None:
    with app.app_context():
        make_citizen()
    run(app, "accounts", "create", "087084000999", "--password-stdin", stdin="first one pw\n")
    code, output = run(
        app, "accounts", "create", citizen_id, "--password-stdin", stdin="another password\n"
    )
    assert code == 1
    assert message in output


def test_clients_create_list_show(app: Flask) -> None:
    code, output = run(
        app,
        "clients",
        "create",
        "--name",
        "Cổng thuế",
        "--redirect-uri",
        "https://thue.example.vn/cb",
        "--scope",
        "openid profile",
        "--organisation",
        "Tổng cục Thuế",
        "--purpose",
        "profile=Xác định người nộp thuế",
        "--legal-basis",
        "profile=legal_obligation",
        "--essential",
        "profile",
        "--json",
    )
    assert code == 0, output
    created = json.loads(output)
    assert len(created["client_secret"]) >= 43
    listed = json.loads(run(app, "clients", "list", "--json")[1])
    assert [c["client_id"] for c in listed] == [created["client_id"]]
    shown = json.loads(run(app, "clients", "show", created["client_id"])[1])
    assert shown["sector"] == "thue.example.vn"
    assert shown["subject_type"] == "pairwise"
    assert shown["organisation"] == "Tổng cục Thuế"
    assert shown["purposes"] == {
        "profile": {"purpose": "Xác định người nộp thuế", "legal_basis": "legal_obligation"}
    }
    assert shown["essential_scopes"] == ["profile"]
    assert created["client_secret"] not in json.dumps(shown)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--redirect-uri", "http://thue.example.vn/cb"], "must use https"),
        (["--redirect-uri", "https://thue.example.vn/cb#x"], "fragment"),
        (["--redirect-uri", "https://a.vn/cb", "--scope", "openid wishes"], "unknown scope"),
        (["--redirect-uri", "https://a.vn/cb", "--scope", "profile"], "must include openid"),
        (
            ["--redirect-uri", "https://a.vn/cb", "--auth-method", "private_key_jwt"],
            "needs the client's jwks or jwks_uri",
        ),
        (
            ["--redirect-uri", "https://a.vn/cb", "--scope", "openid profile"],
            "declare the purpose of scope(s) profile",
        ),
        (
            ["--redirect-uri", "https://a.vn/cb", "--purpose", "profile"],
            "expected SCOPE=TEXT",
        ),
        (
            ["--redirect-uri", "https://a.vn/cb", "--purpose", "email=Gửi thư"],
            "scope(s) email are not registered",
        ),
        (
            [
                *("--redirect-uri", "https://a.vn/cb", "--scope", "openid email"),
                *("--purpose", "email=Gửi thư", "--legal-basis", "email=because"),
            ],
            "because is not one of consent",
        ),
        (
            [*("--redirect-uri", "https://a.vn/cb", "--legal-basis", "email=consent")],
            "no --purpose for email",
        ),
        (
            [*("--redirect-uri", "https://a.vn/cb", "--essential", "email")],
            "scope(s) email are not registered",
        ),
    ],
)
def test_clients_create_refuses_bad_registrations(
    app: Flask, args: list[str], message: str
) -> None:
    if "--scope" not in args:
        args = [*args, "--scope", "openid"]
    code, output = run(app, "clients", "create", "--name", "x", *args)
    assert code in (1, 2)  # 2: click refused the option itself
    assert message in output


def test_a_schema_behind_the_code_is_refused(app: Flask) -> None:
    check_schema_current(app)  # the suite's database is current
    with app.app_context():
        revisions = db.session.scalars(text("SELECT version_num FROM alembic_version")).all()
        db.session.execute(
            text("DELETE FROM alembic_version WHERE version_num = :r"), {"r": revisions[0]}
        )
        db.session.commit()
    try:
        with pytest.raises(ConfigurationError, match="idp init"):
            check_schema_current(app)
    finally:
        with app.app_context():
            db.session.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revisions[0]}
            )
            db.session.commit()


def test_only_a_confidential_client_may_go_without_pkce(app: Flask) -> None:
    base = ["clients", "create", "--name", "x", "--redirect-uri", "https://a.vn/cb"]
    code, output = run(app, *base, "--scope", "openid", "--no-pkce", "--auth-method", "none")
    assert code == 1
    assert "public client must use PKCE" in output
    code, output = run(app, *base, "--scope", "openid", "--no-pkce", "--json")
    assert code == 0, output
    shown = json.loads(run(app, "clients", "show", json.loads(output)["client_id"])[1])
    assert shown["require_pkce"] is False


def test_serve_refuses_threads_that_hashing_could_all_hold(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With IDP_HASHING_CONCURRENCY + IDP_HASHING_QUEUE threads (1 + 4 by default) busy with
    passwords, a worker must still have one for token, userinfo and JWKS; nothing starts."""
    monkeypatch.setattr("idp.cli.subprocess.call", pytest.fail)
    status, output = run(app, "serve", "--threads", "5")
    assert status == 2
    assert "--threads must be more than IDP_HASHING_CONCURRENCY + IDP_HASHING_QUEUE (5)" in output
