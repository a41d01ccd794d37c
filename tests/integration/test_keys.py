"""Signing keys end to end: every algorithm signs ID tokens that verify against /jwks.json,
rotation publishes a key before it signs and unpublishes it after its tokens expire, the JWKS and
discovery are cacheable and conditional, and the `idp keys` commands."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from joserfc import jws, jwt
from joserfc.jwk import KeySet
from sqlalchemy import inspect, select, text

from idp import clock, create_app
from idp.cli import main
from idp.database import MIGRATIONS_DIR
from idp.extensions import db
from idp.keys import store
from idp.keys.store import SUPPORTED_ALGS, ensure_keys, rotate
from idp.models import SigningKey
from tests.conftest import environ_for
from tests.factories import make_account, make_citizen, make_portal
from tests.integration.conftest import START, Flow, english

LEAD_TIME = 3600
# joserfc flags the JWS name EdDSA as deprecated by RFC 9864 (in favour of Ed25519); the
# provider signs with Ed25519 keys under the name that OIDC relying parties know.
EDDSA_NAME_NOTICE = pytest.mark.filterwarnings("ignore:EdDSA is deprecated via RFC 9864")
KEY_TYPES = {"ES256": "EC", "RS256": "RSA", "PS256": "RSA", "EdDSA": "OKP"}


@contextmanager
def signing_flow(app: Flask, alg: str = "ES256") -> Iterator[Flow]:
    """A portal registered for ``alg``, a citizen with an account and TOTP, a fresh browser."""
    with clock.frozen(START) as advance:
        with app.app_context():
            ensure_keys()
            make_citizen()
            secret = make_account()
            portal = make_portal(id_token_alg=alg)
        yield Flow(english(app), portal, secret, advance)


def signed_id_token(flow: Flow) -> str:
    """The ID token of one complete sign-in (consent given the first time, then remembered)."""
    response = flow.redeem(flow.code()["code"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["id_token"])


def signed_again(app: Flask, flow: Flow, nonce: str) -> str:
    """Sign in again in a new browser; the portal's consent is remembered. Call it in a new
    30-second step, or the TOTP code is a replay."""
    again = Flow(english(app), flow.portal, flow.totp_secret, flow.advance)
    callback = again.follow_to_portal(again.enter_code(again.sign_in(again.authorize(nonce=nonce))))
    response = again.redeem(callback["code"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["id_token"])


def published(client: FlaskClient) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = client.get("/jwks.json").get_json()["keys"]
    return keys


def header_of(token: str) -> dict[str, Any]:
    return dict(jws.extract_compact(token.encode()).headers())


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(main, list(args))
    return result.exit_code, result.output


def listed(app: Flask) -> dict[str, dict[str, Any]]:
    code, output = run(app, "keys", "list", "--json")
    assert code == 0, output
    return {key["kid"]: key for key in json.loads(output)}


@pytest.mark.parametrize(
    "alg", [pytest.param(a, marks=EDDSA_NAME_NOTICE) if a == "EdDSA" else a for a in SUPPORTED_ALGS]
)
@pytest.mark.spec("OIDC-Core-10.1")
def test_each_algorithm_signs_an_id_token_that_verifies_against_the_jwks(
    app: Flask, alg: str
) -> None:
    with signing_flow(app, alg) as flow:
        token = signed_id_token(flow)
        document = flow.browser.get("/jwks.json").get_json()
    header = header_of(token)
    assert header["alg"] == alg
    (jwk,) = [k for k in document["keys"] if k["kid"] == header["kid"]]
    assert jwk["alg"] == alg
    assert jwk["kty"] == KEY_TYPES[alg]
    verified = jwt.decode(token, KeySet.import_key_set(document), algorithms=[alg])
    assert verified.claims["aud"] == flow.portal.client_id


@pytest.mark.spec("RFC7517-4.4")
def test_every_algorithm_has_its_own_published_key(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        ensure_keys()
    keys = published(client)
    assert sorted(k["alg"] for k in keys) == sorted(SUPPORTED_ALGS)
    assert len({k["kid"] for k in keys}) == len(SUPPORTED_ALGS)  # PS256 is not RS256's key
    (okp,) = [k for k in keys if k["kty"] == "OKP"]
    assert okp["crv"] == "Ed25519"
    for key in keys:
        assert key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_discovery_advertises_every_algorithm(client: FlaskClient) -> None:
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert metadata["id_token_signing_alg_values_supported"] == list(SUPPORTED_ALGS)


@pytest.mark.spec("OIDC-Core-10.1.1")
def test_rotation_publishes_before_signing_and_unpublishes_after_the_tokens_expire(
    app: Flask, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "KEY_PUBLISH_LEAD_TIME", LEAD_TIME)
    lifetime = max(app.config["ID_TOKEN_LIFETIME"], app.config["ACCESS_TOKEN_LIFETIME"])
    with signing_flow(app) as flow:
        old_kid = header_of(signed_id_token(flow))["kid"]

        # Another process (here another app on the same database) rotates: every worker's
        # JWKS shows the new key once its copy of the key rows is older than KEY_ROWS_REUSE
        # (here at once), though it does not sign yet.
        monkeypatch.setattr(store, "KEY_ROWS_REUSE", 0.0)
        other = create_app({**environ, "IDP_KEY_PUBLISH_LEAD_TIME": str(LEAD_TIME)})
        with other.app_context():
            new_kid = rotate("ES256").kid
            db.session.remove()
            db.engine.dispose()
        assert {old_kid, new_kid} <= {k["kid"] for k in published(flow.browser)}

        flow.advance(LEAD_TIME - 30)
        before = signed_again(app, flow, "nonce-before-activation-123")
        assert header_of(before)["kid"] == old_kid

        flow.advance(30)  # the new key's activation time
        assert header_of(signed_again(app, flow, "nonce-after-activation-1234"))["kid"] == new_kid
        assert listed(app)[old_kid]["state"] == "retired"
        assert listed(app)[new_kid]["state"] == "active"

        # The old key stays published while a token it signed may still be used...
        flow.advance(lifetime - 1)
        keys = KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())
        jwt.decode(before, keys, algorithms=["ES256"])
        # ...and leaves the JWKS when the last of them has expired.
        flow.advance(1)
        assert old_kid not in {k["kid"] for k in published(flow.browser)}
        assert new_kid in {k["kid"] for k in published(flow.browser)}
        assert listed(app)[old_kid]["state"] == "expired"


def test_a_retired_key_is_not_pruned_before_its_tokens_expire(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "KEY_PUBLISH_LEAD_TIME", 0)
    lifetime = max(app.config["ID_TOKEN_LIFETIME"], app.config["ACCESS_TOKEN_LIFETIME"])
    with clock.frozen(START) as advance:
        with app.app_context():
            (old,) = [k.kid for k in ensure_keys() if k.alg == "RS256"]
        advance(1)
        code, output = run(app, "keys", "rotate", "--alg", "RS256")
        assert code == 0, output
        advance(lifetime - 1)
        assert run(app, "keys", "prune")[1].endswith("deleted 0 expired signing keys\n")
        assert old in listed(app)
        advance(1)
        code, output = run(app, "keys", "prune")
        assert code == 0, output
        assert f"deleted RS256 signing key {old}" in output
        assert old not in listed(app)
        with app.app_context():
            assert db.session.get(SigningKey, old) is None
            assert len(list(db.session.scalars(select(SigningKey.kid)))) == len(SUPPORTED_ALGS)


def test_keys_rotate_and_list_show_the_pending_key(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "KEY_PUBLISH_LEAD_TIME", LEAD_TIME)
    with clock.frozen(START):
        run(app, "init")
        code, output = run(app, "keys", "rotate", "--alg", "PS256")
        assert code == 0, output
        assert "signs from 2026-11-27 10:00:00 UTC" in output
        keys = listed(app)
    pending = [k for k in keys.values() if k["state"] == "pending"]
    assert [(k["alg"], k["activates_at"]) for k in pending] == [
        ("PS256", "2026-11-27T10:00:00+00:00")
    ]
    assert sorted(k["alg"] for k in keys.values() if k["state"] == "active") == sorted(
        SUPPORTED_ALGS
    )
    with clock.frozen(START):  # states are computed at a time, so not at the run's own
        code, output = run(app, "keys", "list")
    assert code == 0
    assert "pending" in output
    assert "signs from 2026-11-27 10:00 UTC" in output


def test_the_first_key_of_an_algorithm_signs_at_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "KEY_PUBLISH_LEAD_TIME", LEAD_TIME)
    with clock.frozen(START), app.app_context():
        key = rotate("EdDSA")
        assert key.activates_at == START


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


@pytest.mark.parametrize("path", ["/jwks.json", "/.well-known/openid-configuration"])
@pytest.mark.spec("RFC9110-13.1.2")
def test_published_documents_are_cacheable_and_conditional(
    app: Flask, client: FlaskClient, path: str
) -> None:
    with app.app_context():
        ensure_keys()
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    assert etag == _etag(first.data)

    for validator in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = client.get(path, headers={"If-None-Match": validator})
        assert cached.status_code == 304, validator
        assert cached.data == b""
        assert cached.headers["ETag"] == etag
        assert cached.headers["Cache-Control"] == "public, max-age=300"

    stale = client.get(path, headers={"If-None-Match": '"not-the-current-one"'})
    assert stale.status_code == 200
    assert stale.data == first.data


def test_the_jwks_etag_changes_with_the_published_keys(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        ensure_keys()
    before = client.get("/jwks.json")
    with app.app_context():
        rotate("ES256")
    after = client.get("/jwks.json", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["ETag"] == _etag(after.data)
    assert len(after.get_json()["keys"]) == len(before.get_json()["keys"]) + 1


def test_the_migration_activates_existing_keys_when_they_were_created(tmp_path: Path) -> None:
    app = create_app(environ_for(f"sqlite:///{tmp_path / 'idp.sqlite3'}", tmp_path))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0001")
        db.session.execute(
            text(
                "INSERT INTO signing_key (kid, alg, public_jwk, private_jwk_sealed, created_at) "
                "VALUES ('k', 'ES256', '{}', x'00', '2026-01-02 03:04:05.000000')"
            )
        )
        db.session.commit()
        upgrade(directory=str(MIGRATIONS_DIR), revision="0003_keys")
        row = db.session.get(SigningKey, "k")
        assert row is not None
        assert row.activates_at == row.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        (column,) = [
            c for c in inspect(db.engine).get_columns("signing_key") if c["name"] == "activates_at"
        ]
        assert column["nullable"] is False
        db.session.remove()

        downgrade(directory=str(MIGRATIONS_DIR), revision="0001")
        names = {c["name"] for c in inspect(db.engine).get_columns("signing_key")}
        assert "activates_at" not in names
        db.engine.dispose()
