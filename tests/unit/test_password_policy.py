"""NIST SP 800-63B §5.1.1.2 as our password policy."""

from __future__ import annotations

from datetime import date

import pytest

from idp.authn.password_policy import PersonalData, check_new_password, common_passwords

CITIZEN = PersonalData(
    citizen_id="001090012345",
    birth_date=date(1990, 5, 17),
    full_name="Nguyễn Văn Thành",
    names=("Nguyễn", "Thành"),
)


def problems(password: str) -> tuple[str, ...]:
    return check_new_password(password, CITIZEN).problems


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",
        "tàu hoả chạy qua cầu",
        "Zebra-Mango-Lantern",
        "the quick brown fox jumps over the lazy dog " * 2,
    ],
)
def test_accepted(password: str) -> None:
    assert problems(password) == ()


def test_length_bounds() -> None:
    assert problems("eleven char") == ("too_short",)
    assert problems("a" * 12 + "bcd" * 39) == ("too_long",)
    # NFKC: a full-width "Ａ" is one character, compared as "A".
    assert problems("ＡＢＣ horse battery") == ()


def test_the_list_is_the_published_one_and_a_set() -> None:
    listed = common_passwords()
    assert len(listed) >= 30000
    assert {"password", "iloveyou", "qwerty"} <= listed
    assert isinstance(listed, frozenset)  # looked up by hash, never scanned


@pytest.mark.parametrize(
    "password", ["passwordpassword", "Password2024!!", "iloveyou12345", "..superman1234"]
)
def test_common_passwords_with_decoration_are_refused(password: str) -> None:
    assert problems(password) == ("common",)


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaaaa", "abababababab", "123456789012", "zyxwvutsrqpo"]
)
def test_repetitive_and_sequential_are_refused(password: str) -> None:
    assert "repetitive" in problems(password)


@pytest.mark.parametrize(
    "password",
    [
        "my id is 001090012345",
        "born 17051990 here",
        "born 19900517 here",
        "nguyen van thanh rocks",  # accents need not be typed
        "Thành-is-my-name!",
    ],
)
def test_personal_data_is_refused(password: str) -> None:
    assert problems(password) == ("personal",)


def test_a_common_middle_name_is_not_personal() -> None:
    # "Văn" is the citizen's middle name but a syllable of countless words.
    assert problems("vanilla sky over hanoi") == ()
