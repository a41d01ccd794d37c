"""Configuration: development secrets are generated once; production refuses unsafe settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.config import ConfigurationError, load

SECRETS = {
    "IDP_SECRET_KEY": "s" * 43,
    "IDP_KEY_ENCRYPTION_KEY": "k" * 43,
    "IDP_SUBJECT_SALT": "t" * 43,
}


def test_development_generates_secrets_once(tmp_path: Path) -> None:
    first = load(tmp_path, {})
    second = load(tmp_path, {})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["KEY_ENCRYPTION_KEY"]) >= 43
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert first["DATABASE_URL"] == f"sqlite:///{tmp_path / 'idp.sqlite3'}"


def test_production_refuses_an_http_issuer(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="IDP_ISSUER"):
        load(
            tmp_path,
            {
                "IDP_ENV": "production",
                "IDP_ISSUER": "http://id.example.vn",
                "IDP_DATABASE_URL": "postgresql+psycopg://x/y",
                **SECRETS,
            },
        )


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_production_refuses_generated_secrets(tmp_path: Path, missing: str) -> None:
    environ = {
        "IDP_ENV": "production",
        "IDP_ISSUER": "https://id.example.vn",
        "IDP_DATABASE_URL": "postgresql+psycopg://x/y",
        **SECRETS,
    }
    del environ[missing]
    with pytest.raises(ConfigurationError, match=missing):
        load(tmp_path, environ)
    assert not (tmp_path / "secrets.json").exists()


def test_production_refuses_the_development_notifier_by_default(tmp_path: Path) -> None:
    environ = {
        "IDP_ENV": "production",
        "IDP_ISSUER": "https://id.example.vn",
        "IDP_DATABASE_URL": "postgresql+psycopg://x/y",
        **SECRETS,
    }
    with pytest.raises(ConfigurationError, match="IDP_NOTIFIER must be set"):
        load(tmp_path, environ)


def test_production_with_everything_set_starts(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        {
            "IDP_ENV": "production",
            "IDP_ISSUER": "https://id.example.vn/",
            "IDP_DATABASE_URL": "postgresql+psycopg://x/y",
            "IDP_NOTIFIER": "gateway.sms:Notifier",
            **SECRETS,
        },
    )
    assert config["ISSUER"] == "https://id.example.vn"
    assert config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("value", ["soon", "-5", "0"])
def test_lifetimes_must_be_positive_numbers(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigurationError, match="IDP_CODE_LIFETIME"):
        load(tmp_path, {"IDP_CODE_LIFETIME": value})


def test_key_publish_lead_time_may_be_zero_but_not_negative(tmp_path: Path) -> None:
    assert load(tmp_path, {})["KEY_PUBLISH_LEAD_TIME"] == 86400
    assert load(tmp_path, {"IDP_KEY_PUBLISH_LEAD_TIME": "0"})["KEY_PUBLISH_LEAD_TIME"] == 0
    with pytest.raises(ConfigurationError, match="IDP_KEY_PUBLISH_LEAD_TIME must be at least 0"):
        load(tmp_path, {"IDP_KEY_PUBLISH_LEAD_TIME": "-1"})
