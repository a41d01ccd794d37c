"""The 12-digit personal identification number, checked by its structure.

Decree 137/2015/ND-CP Art. 13, Circular 07/2016/TT-BCA Art. 7 (reference/citizen-id-number.md)::

    PPP G YY RRRRRR
    PPP     province where the birth was registered (abroad: a country code, unknown here)
    G       century of birth and gender: 2 x (century - 19) + (0 male | 1 female), 1900-2399
    YY      last two digits of the year of birth
    RRRRRR  random sequence

Reasons never repeat the whole number: they may end up in a log, and the number is personal data.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from idp.population.provinces import PROVINCES

GENDERS: Final = ("male", "female")
FIRST_YEAR: Final = 1900
LAST_YEAR: Final = 2399
_TWELVE_DIGITS: Final = re.compile(r"[0-9]{12}")


class InvalidCitizenId(ValueError):  # noqa: N818 - the name is part of the API
    """A citizen-ID number that cannot be right; ``field`` is the form or record field at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def century_gender_digit(gender: str, birth_year: int) -> int:
    """The fourth digit for a ``gender`` born in ``birth_year`` (Circular 07/2016 Art. 7.2)."""
    if gender not in GENDERS:
        raise ValueError(f"gender must be one of {', '.join(GENDERS)}")
    if not FIRST_YEAR <= birth_year <= LAST_YEAR:
        raise ValueError(f"birth year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return 2 * ((birth_year - FIRST_YEAR) // 100) + GENDERS.index(gender)


def is_well_formed(number: str) -> bool:
    """Whether ``number`` is twelve ASCII digits: what a login form can check.

    The province code is not checked: a citizen whose birth was registered abroad has a country
    code there, and must still be able to sign in.
    """
    return _TWELVE_DIGITS.fullmatch(number) is not None


def check_citizen_id(
    number: str, *, gender: str | None = None, birth_date: date | None = None
) -> None:
    """Raise :class:`InvalidCitizenId` unless ``number`` has the structure of a citizen-ID number
    and agrees with the ``gender`` and ``birth_date`` given (each checked only when given)."""
    if gender is not None and gender not in GENDERS:
        raise ValueError(f"gender must be one of {', '.join(GENDERS)}")
    field = "citizen_id"
    if not is_well_formed(number):
        raise InvalidCitizenId(field, _malformed_reason(number))

    province = number[:3]
    if province not in PROVINCES:
        raise InvalidCitizenId(
            field,
            f"starts with {province}, which is not one of the {len(PROVINCES)} province codes; "
            "only province codes are known here (a birth registered abroad carries a country "
            "code, which this check does not know)",
        )

    digit = int(number[3])
    digit_gender = GENDERS[digit % 2]
    first_year = FIRST_YEAR + 100 * (digit // 2)
    last_year = first_year + 99
    record_says = []
    if gender is not None and gender != digit_gender:
        record_says.append(gender)
    if birth_date is not None and not first_year <= birth_date.year <= last_year:
        record_says.append(f"born in {birth_date.year}")
    if record_says:
        raise InvalidCitizenId(
            field,
            f"the 4th digit is {digit}, which means {digit_gender} born {first_year}–{last_year}, "
            f"but the record says {' '.join(record_says)}",
        )

    if birth_date is not None and number[4:6] != f"{birth_date.year % 100:02d}":
        raise InvalidCitizenId(
            field,
            f"digits 5–6 are {number[4:6]}, the year of birth, "
            f"but the record says born in {birth_date.year}",
        )


def make_citizen_id(province: str, gender: str, birth_year: int, sequence: int) -> str:
    """Compose a number from its parts; ``ValueError`` when a part cannot be encoded."""
    if province not in PROVINCES:
        raise ValueError("province must be one of the province codes")
    if not 0 <= sequence <= 999_999:
        raise ValueError("sequence must be from 0 to 999999")
    digit = century_gender_digit(gender, birth_year)
    return f"{province}{digit}{birth_year % 100:02d}{sequence:06d}"


def _malformed_reason(number: str) -> str:
    if not number:
        return "must not be empty"
    if not all("0" <= character <= "9" for character in number):
        return "must contain only the digits 0–9"
    return f"must be exactly 12 digits, not {len(number)}"
