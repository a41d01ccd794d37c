"""Schema management: bring a database to the latest migration, and refuse to serve a stale one."""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from idp.config import ConfigurationError
from idp.extensions import db, migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def head_revisions() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def current_revisions() -> set[str]:
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade_to_latest() -> None:
    """Create or upgrade the schema; needs an app context."""
    upgrade(directory=str(MIGRATIONS_DIR), revision="heads")


def check_schema_current(app: Flask) -> None:
    """Raise when the database is behind the code, naming the command that fixes it."""
    with app.app_context():
        current, heads = current_revisions(), head_revisions()
    if current != heads:
        raise ConfigurationError(
            f"the database schema is at revision {', '.join(sorted(current)) or 'none'} but this "
            f"version needs {', '.join(sorted(heads))}: run `idp init` to upgrade it"
        )


def init_app(app: Flask) -> None:
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
