"""Recovery codes: look-up secrets (NIST SP 800-63B §5.1.2) that stand in once each for a lost
second factor.

A code is 10 characters of Crockford's base32 (50 bits from ``secrets``, well above the 20 bits
of §5.1.2.1), shown as two groups of five. It is stored as an HMAC-SHA256 under a key derived
from the key-encryption key and bound to the account: the database alone gives an attacker no
way to test a guess offline, which is what §5.1.2.2's slow, salted hash is for, and a
deterministic digest lets the code be found and consumed in one indexed, conditional UPDATE
(a random salt per code would mean trying every unused code with a slow hash on each attempt).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COUNT = 10
LENGTH = 10
GROUP = 5
KEY_PURPOSE = b"citizen-idp recovery codes v1"

# What a citizen may type for a letter that is not in the alphabet (Crockford's decoding rules).
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_codes(count: int = COUNT) -> list[str]:
    """``count`` fresh codes in their canonical form."""
    return ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(count)]


def formatted(code: str) -> str:
    """A canonical code as the citizen sees it: ``ABCDE-FGHJK``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(code: str) -> str | None:
    """The canonical form of a typed code (upper case, no spaces or dashes, ``O`` read as
    ``0`` and ``I``/``L`` as ``1``), or None when it cannot be a code."""
    compact = "".join(code.split()).replace("-", "").upper().translate(_READ_AS)
    if len(compact) != LENGTH or any(c not in ALPHABET for c in compact):
        return None
    return compact


def digest(code: str, *, account_id: int, key: bytes) -> str:
    """The stored form of a normalised ``code`` of ``account_id``, keyed with ``key``."""
    message = f"{account_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
