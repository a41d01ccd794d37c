"""Which new passwords are accepted: NIST SP 800-63B §5.1.1.2 (memorized secret verifiers).

At least 12 and at most 128 characters of any kind, compared after NFKC normalisation; no
composition rules and no expiry; refused when it is a commonly used or breached password,
repetitive or sequential, or contains the citizen's own citizen-ID number, birth date or name.
The list of common passwords is zxcvbn's (the 30,000 most frequent passwords of its corpus of
leaked password dumps), loaded once into a set, so a check never scans it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _l

from idp.authn.password import normalise

MIN_LENGTH = (
    12  # NIST SP 800-63B §5.1.1.2 asks for 8 at least; we take OWASP's 12 for a sole factor
)
MAX_LENGTH = 128  # long enough for passphrases; bounds the hashing work an attacker can ask for

#: Why a password is refused, in the citizen's words (the codes go to the logs).
MESSAGES = {
    "too_short": _l("Use at least %(n)d characters.", n=MIN_LENGTH),
    "too_long": _l("Use at most %(n)d characters.", n=MAX_LENGTH),
    "common": _l("This password is among the most used or leaked ones. Choose another."),
    "repetitive": _l("Avoid repeated or sequential characters such as aaaa or 1234."),
    "personal": _l("Do not use your citizen-ID number, date of birth or name."),
}


@dataclass(frozen=True, slots=True)
class PersonalData:
    """What a password must not contain; plain values, taken from the registry record."""

    citizen_id: str
    birth_date: date
    full_name: str
    # Family and given names; a middle name (Văn, Thị) is too common a syllable to refuse.
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PolicyVerdict:
    problems: tuple[str, ...]  # codes, keys of MESSAGES

    @property
    def ok(self) -> bool:
        return not self.problems


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _folded(text: str) -> str:
    """Case- and accent-insensitive form: citizens type "nguyen" for "Nguyễn"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold()).replace("đ", "d")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _is_common(password: str) -> bool:
    folded = password.casefold()
    # "password2024!" is "password" with decoration: strip leading and trailing digits and
    # symbols, and a repeated word ("dragondragon") counts as the word.
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", folded)
    repeated = re.fullmatch(r"(.+?)\1+", core)
    candidates = {folded, core, repeated.group(1) if repeated else core}
    return bool(candidates & common_passwords())


_RUNS = tuple(
    run
    for base in ("0123456789" * 14, "abcdefghijklmnopqrstuvwxyz" * 6)
    for run in (base, base[::-1])
)


def _is_repetitive(password: str) -> bool:
    """NIST SP 800-63B §5.1.1.2 names repetitive or sequential characters ('aaaaaa',
    '1234abcd') among the values to refuse."""
    folded = password.casefold()
    return len(set(folded)) < 4 or any(folded in run for run in _RUNS)


def _has_personal(password: str, personal: PersonalData) -> bool:
    folded = _folded(password)
    digits = re.sub(r"\D", "", password)
    born = personal.birth_date
    dates = {
        born.strftime("%d%m%Y"),
        born.strftime("%Y%m%d"),
        born.strftime("%d%m%y"),
        born.strftime("%m%d%Y"),
    }
    if personal.citizen_id in digits or any(d in digits for d in dates):
        return True
    whole = "".join(_folded(personal.full_name).split())
    words = [_folded(w) for name in personal.names for w in name.split()]
    # Names of two letters (An, Lê) are too common a syllable to refuse on their own.
    return whole in folded or any(len(w) >= 3 and w in folded for w in words)


def check_new_password(password: str, personal: PersonalData) -> PolicyVerdict:
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        return PolicyVerdict(("too_short",))
    if len(password) > MAX_LENGTH:
        return PolicyVerdict(("too_long",))
    problems = [
        code
        for code, refused in (
            ("common", _is_common(password)),
            ("repetitive", _is_repetitive(password)),
            ("personal", _has_personal(password, personal)),
        )
        if refused
    ]
    return PolicyVerdict(tuple(problems))
