"""Passwords and one-time codes as plain functions over plain values."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest
import segno

from idp.authn import password, totp
from idp.keys.sealing import UnsealError, derive_key, seal, unseal

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


def test_derived_keys_differ_by_purpose_and_by_key() -> None:
    key = derive_key("kek-one", b"purpose one")
    assert len(key) == 32
    assert key == derive_key("kek-one", b"purpose one")
    assert key != derive_key("kek-one", b"purpose two")
    assert key != derive_key("kek-two", b"purpose one")


def _dark_modules(path: str, border: int) -> set[tuple[int, int]]:
    """The dark modules drawn by segno's SVG path: one horizontal line per run of them."""
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            row = int(y - 0.5) - border
            dark.update((row, int(x) - border + i) for i in range(int(float(first))))
            x += float(first)
    return dark


def test_the_qr_code_is_an_svg_of_the_provisioning_uri() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "087084000999")
    assert uri.startswith("otpauth://totp/citizen-idp:087084000999?secret=" + secret)
    source = totp.qr_code(uri)
    prefix = "data:image/svg+xml;charset=utf-8,"
    assert source.startswith(prefix)
    svg = ElementTree.fromstring(unquote(source.removeprefix(prefix)))  # noqa: S314 (our own output)
    namespace = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{namespace}svg"
    assert "style" not in svg.attrib  # our CSP allows no inline style
    symbol = segno.make(uri, error="m")
    size = len(symbol.matrix)
    assert svg.get("width") == svg.get("height") == str((size + 8) * 5)
    (lines,) = [p for p in svg.iter(f"{namespace}path") if p.get("class") == "qrline"]
    dark = {(r, c) for r, row in enumerate(symbol.matrix) for c, module in enumerate(row) if module}
    assert _dark_modules(lines.get("d", ""), border=4) == dark
    # A QR code of another secret is another picture.
    assert totp.qr_code(totp.provisioning_uri(totp.new_secret(), "087084000999")) != source


def test_the_secret_is_shown_in_groups_of_four() -> None:
    assert totp.grouped("ABCDEFGHIJKLMNOP") == "ABCD EFGH IJKL MNOP"
