"""The assurance policy: what a sign-in performed (``amr``) and the level it reached (``acr``).

DESIGN.md §3 (Assurance)::

    loa1  one factor                      password alone
    loa2  two factors                     password + TOTP, password + passkey,
                                          or a passkey with user verification
    loa3  phishing-resistant, identity    passkey with user verification, account at
          proven in person                identity level 2

``amr`` values are RFC 8176 §2: ``pwd`` (password), ``otp`` (one-time code), ``hwk`` (a
device-bound passkey: proof of possession of a hardware-secured key), ``swk`` (a synced
passkey, whose key the citizen's passkey provider copies between devices: a software-secured
key), ``user`` (the authenticator verified the citizen, WebAuthn's UV flag), ``mfa`` (more than
one factor). Both kinds of passkey are phishing-resistant: the browser binds them to our origin.
"""

from __future__ import annotations

from collections.abc import Iterable

PWD = "pwd"  # noqa: S105 (an RFC 8176 method name, not a password)
OTP = "otp"
HWK = "hwk"
SWK = "swk"
PASSKEYS = frozenset({HWK, SWK})
USER = "user"
MFA = "mfa"


def _factors(methods: set[str]) -> int:
    """Authentication factors (NIST SP 800-63B §4.2): something known (a password),
    something had (an authenticator app or a passkey), and a passkey's user verification,
    which is a PIN or biometric unlocking that key: a factor of its own."""
    had = bool(methods & {OTP, *PASSKEYS})
    verified_key = bool(methods & PASSKEYS) and USER in methods
    return int(PWD in methods) + int(had) + int(verified_key)


def amr_for(methods: Iterable[str]) -> list[str]:
    """The ``amr`` of a sign-in that performed ``methods``, in the order performed, with
    ``mfa`` last when more than one factor was used (RFC 8176 §2)."""
    performed = [m for m in dict.fromkeys(methods) if m != MFA]
    return [*performed, MFA] if _factors(set(performed)) >= 2 else performed


def assurance(amr: Iterable[str], identity_level: int) -> str:
    """The level (``acr``) that a sign-in with ``amr`` reaches for an account at
    ``identity_level``."""
    methods = set(amr)
    if methods & PASSKEYS and USER in methods and identity_level >= 2:
        return "loa3"
    return "loa2" if _factors(methods) >= 2 else "loa1"
