"""Passwords hashed with Argon2id (RFC 9106) at OWASP's recommended parameters."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

# OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)

# Verified when no account matches, so a wrong number costs as much time as a wrong password.
_DUMMY_HASH = HASHER.hash("not a password of anybody")


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    ok: bool
    needs_rehash: bool


def normalise(password: str) -> str:
    """NIST SP 800-63B §5.1.1.2: passwords are compared after NFKC normalisation."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return HASHER.hash(normalise(password))


def verify_password(stored_hash: str | None, password: str) -> PasswordCheck:
    """Check ``password`` against ``stored_hash``; ``None`` burns the same time and fails."""
    try:
        HASHER.verify(stored_hash or _DUMMY_HASH, normalise(password))
    except (VerificationError, InvalidHashError):
        return PasswordCheck(ok=False, needs_rehash=False)
    if stored_hash is None:
        return PasswordCheck(ok=False, needs_rehash=False)
    return PasswordCheck(ok=True, needs_rehash=HASHER.check_needs_rehash(stored_hash))
