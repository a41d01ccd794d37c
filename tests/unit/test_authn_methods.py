"""Passwords and one-time codes as plain functions over plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from idp.authn import password, totp
from idp.keys.sealing import UnsealError, seal, unseal

AT = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)


def test_password_round_trip_and_nfkc() -> None:
    stored = password.hash_password("ｃｏｒｒｅｃｔ horse")  # full-width letters
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert password.verify_password(stored, "correct horse").ok
    assert not password.verify_password(stored, "correct horsE").ok


def test_no_stored_hash_never_verifies() -> None:
    assert not password.verify_password(None, "not a password of anybody").ok


def test_weaker_parameters_ask_for_a_rehash() -> None:
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw pw pw pw")
    check = password.verify_password(old, "pw pw pw pw")
    assert check.ok
    assert check.needs_rehash


@pytest.mark.parametrize("offset", [-30, 0, 30])
@pytest.mark.spec("RFC6238-5.2")
def test_codes_within_one_step_of_drift_are_accepted(offset: int) -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, AT + timedelta(seconds=offset))
    assert totp.verify_code(secret, code, at=AT, last_step=None).ok


def test_codes_two_steps_away_are_refused() -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, AT - timedelta(seconds=60))
    assert not totp.verify_code(secret, code, at=AT, last_step=None).ok


def test_a_used_step_is_refused_as_a_replay() -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, AT)
    first = totp.verify_code(secret, code, at=AT, last_step=None)
    again = totp.verify_code(secret, code, at=AT, last_step=first.step)
    assert first.ok
    assert not again.ok
    assert again.replayed


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert not totp.verify_code(totp.new_secret(), code, at=AT, last_step=None).ok


def test_sealed_values_open_only_with_their_key_and_context() -> None:
    sealed = seal(b"secret", context="totp:1", key_encryption_key="kek-one")
    assert unseal(sealed, context="totp:1", key_encryption_key="kek-one") == b"secret"
    with pytest.raises(UnsealError):
        unseal(sealed, context="totp:2", key_encryption_key="kek-one")
    with pytest.raises(UnsealError):
        unseal(sealed, context="totp:1", key_encryption_key="kek-two")
