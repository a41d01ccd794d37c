"""Fixtures shared by every test: an app per database (SQLite always, PostgreSQL when
``IDP_TEST_DATABASE_URL`` is set), migrated once, emptied (tables and throttle counters) after
each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from idp import create_app
from idp.authn import throttle
from idp.database import upgrade_to_latest
from idp.extensions import db
from idp.keys import store

POSTGRES_URL = os.environ.get("IDP_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


def environ_for(database_url: str, instance: Path) -> dict[str, str]:
    return {
        "IDP_ENV": "development",
        "IDP_ISSUER": "http://localhost:5000",
        "IDP_DATABASE_URL": database_url,
        "IDP_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "IDP_KEY_ENCRYPTION_KEY": "test-key-encryption-key-0123456789abcdef",
        "IDP_SUBJECT_SALT": "test-subject-salt-0123456789abcdef01234",
        "IDP_INSTANCE_PATH": str(instance),
    }


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'idp.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip("IDP_TEST_DATABASE_URL is not set")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def environ(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return environ_for(database_url, tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def app(environ: dict[str, str]) -> Iterator[Flask]:
    application = create_app(environ)
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade_to_latest()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        throttle.reset()
        store.forget_key_rows()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def app_context(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
