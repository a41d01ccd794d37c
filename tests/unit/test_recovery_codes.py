"""Recovery codes (NIST SP 800-63B §5.1.2) as plain functions."""

from __future__ import annotations

import math

import pytest

from idp.authn import recovery_codes
from idp.keys.sealing import derive_key

KEY = derive_key("a key-encryption key", recovery_codes.KEY_PURPOSE)


def test_ten_distinct_codes_of_crockford_base32() -> None:
    codes = recovery_codes.new_codes()
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        assert len(code) == 10
        assert set(code) <= set(recovery_codes.ALPHABET)
        assert recovery_codes.normalise(code) == code


@pytest.mark.spec("NIST-800-63B-5.1.2.1")
def test_a_code_carries_fifty_bits() -> None:
    bits = recovery_codes.LENGTH * math.log2(len(recovery_codes.ALPHABET))
    assert bits == 50
    assert len(recovery_codes.ALPHABET) == len(set(recovery_codes.ALPHABET)) == 32
    assert not set("ILOU") & set(recovery_codes.ALPHABET)


def test_codes_are_shown_in_two_groups() -> None:
    assert recovery_codes.formatted("ABCDE12345") == "ABCDE-12345"


@pytest.mark.parametrize(
    "typed",
    ["ABCDE-12345", "abcde-12345", " abcde 12345 ", "ABCDE12345", "abcde-i2345", "abcde-l2345"],
)
def test_typing_variants_read_as_the_same_code(typed: str) -> None:
    assert recovery_codes.normalise(typed) == "ABCDE12345"


def test_a_letter_o_reads_as_zero() -> None:
    assert recovery_codes.normalise("OOOOO-00000") == "0000000000"


@pytest.mark.parametrize("typed", ["", "ABCDE-1234", "ABCDE-123456", "ABCDE-1234U", "ABCDE-1234!"])
def test_what_cannot_be_a_code_is_refused(typed: str) -> None:
    assert recovery_codes.normalise(typed) is None


def test_the_digest_is_keyed_and_bound_to_the_account() -> None:
    digest = recovery_codes.digest("ABCDE12345", account_id=1, key=KEY)
    assert len(digest) == 64
    assert digest == recovery_codes.digest("ABCDE12345", account_id=1, key=KEY)
    assert digest != recovery_codes.digest("ABCDE12345", account_id=2, key=KEY)
    other_key = derive_key("another key-encryption key", recovery_codes.KEY_PURPOSE)
    assert digest != recovery_codes.digest("ABCDE12345", account_id=1, key=other_key)
    assert "ABCDE12345" not in digest
