"""The citizen-ID number by its structure (reference/citizen-id-number.md)."""

from __future__ import annotations

from datetime import date

import pytest

from idp.population.citizen_id import (
    InvalidCitizenId,
    check_citizen_id,
    is_well_formed,
    make_citizen_id,
)
from idp.population.provinces import PROVINCES

STRUCTURE = pytest.mark.spec("TT-07/2016/TT-BCA-Art7")
EXAMPLE = "087084000999"  # Đồng Tháp, male, born 1984


def reason_for(number: str, **record: object) -> str:
    with pytest.raises(InvalidCitizenId) as raised:
        check_citizen_id(number, **record)  # type: ignore[arg-type]
    assert raised.value.field == "citizen_id"
    return raised.value.reason


def test_the_provinces_table_holds_the_63_codes() -> None:
    assert len(PROVINCES) == 63
    assert PROVINCES["087"] == "Đồng Tháp"
    assert PROVINCES["001"] == "Hà Nội"
    assert PROVINCES["079"] == "Hồ Chí Minh"
    assert all(len(code) == 3 and code.isdigit() for code in PROVINCES)


@STRUCTURE
def test_the_reference_example_is_valid_for_a_male_born_1984() -> None:
    check_citizen_id(EXAMPLE, gender="male", birth_date=date(1984, 5, 17))
    check_citizen_id(EXAMPLE)
    assert is_well_formed(EXAMPLE)


@STRUCTURE
@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("", "must not be empty"),
        ("08708400099", "exactly 12 digits, not 11"),
        ("0870840009990", "exactly 12 digits, not 13"),
        ("08708400099x", "only the digits 0–9"),
        ("087 84000999", "only the digits 0–9"),
        ("087084000999\n", "only the digits 0–9"),
        ("０８７０８４０００９９９", "only the digits 0–9"),  # full-width digits
        ("-87084000999", "only the digits 0–9"),
    ],
)
def test_malformed_numbers_say_what_is_wrong(number: str, expected: str) -> None:
    assert expected in reason_for(number)
    assert not is_well_formed(number)


@STRUCTURE
@pytest.mark.parametrize("code", ["003", "000", "099", "100", "999"])
def test_an_unknown_code_is_not_called_malformed(code: str) -> None:
    number = f"{code}084000999"
    reason = reason_for(number)

    assert f"starts with {code}" in reason
    assert "only province codes are known" in reason
    assert "abroad" in reason
    assert "malformed" not in reason
    # A login form must still accept it: a birth registered abroad has a country code there.
    assert is_well_formed(number)


@STRUCTURE
def test_gender_must_agree_with_the_fourth_digit() -> None:
    reason = reason_for(EXAMPLE, gender="female")
    assert reason == (
        "the 4th digit is 0, which means male born 1900–1999, but the record says female"
    )


@STRUCTURE
def test_century_must_agree_with_the_fourth_digit() -> None:
    reason = reason_for("087284000999", birth_date=date(1984, 5, 17))
    assert reason == (
        "the 4th digit is 2, which means male born 2000–2099, but the record says born in 1984"
    )


@STRUCTURE
def test_gender_and_century_disagreeing_together_are_said_together() -> None:
    reason = reason_for(EXAMPLE, gender="female", birth_date=date(2084, 1, 1))
    assert reason.endswith("but the record says female born in 2084")


@STRUCTURE
def test_digits_five_and_six_are_the_year_of_birth() -> None:
    reason = reason_for(EXAMPLE, gender="male", birth_date=date(1985, 1, 1))
    assert reason == "digits 5–6 are 84, the year of birth, but the record says born in 1985"


@STRUCTURE
@pytest.mark.parametrize("digit", range(10))
def test_every_century_and_gender_digit(digit: int) -> None:
    gender = ("male", "female")[digit % 2]
    other = ("female", "male")[digit % 2]
    century = 1900 + 100 * (digit // 2)
    born = date(century + 84, 3, 1)
    number = make_citizen_id("001", gender, born.year, 123)

    assert number == f"001{digit}84000123"
    check_citizen_id(number, gender=gender, birth_date=born)
    assert f"the record says {other}" in reason_for(number, gender=other, birth_date=born)
    off_by_a_century = born.replace(year=born.year + (100 if digit < 8 else -100))
    assert f"born {century}–{century + 99}" in reason_for(number, birth_date=off_by_a_century)


def test_reasons_never_repeat_the_whole_number() -> None:
    cases: list[tuple[str, dict[str, object]]] = [
        ("003084000999", {}),
        (EXAMPLE, {"gender": "female"}),
        (EXAMPLE, {"birth_date": date(1985, 1, 1)}),
    ]
    for number, record in cases:
        assert number not in reason_for(number, **record)


def test_an_unknown_gender_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="gender"):
        check_citizen_id(EXAMPLE, gender="other")


@pytest.mark.parametrize(
    ("province", "gender", "year", "sequence"),
    [
        ("003", "male", 1984, 1),
        ("087", "unknown", 1984, 1),
        ("087", "male", 1899, 1),
        ("087", "male", 2400, 1),
        ("087", "male", 1984, -1),
        ("087", "male", 1984, 1_000_000),
    ],
)
def test_make_citizen_id_refuses_what_cannot_be_encoded(
    province: str, gender: str, year: int, sequence: int
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        make_citizen_id(province, gender, year, sequence)
