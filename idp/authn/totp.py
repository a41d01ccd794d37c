"""Time-based one-time codes (RFC 6238): six digits, 30-second steps, one step of drift."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno

DIGITS = 6
PERIOD = 30
DRIFT_STEPS = 1
ISSUER_NAME = "citizen-idp"


@dataclass(frozen=True, slots=True)
class TotpCheck:
    ok: bool
    step: int | None  # the time step the code matched, to be stored against replay
    replayed: bool = False


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str, issuer_name: str = ISSUER_NAME) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=account_name, issuer_name=issuer_name
    )


def qr_code(uri: str) -> str:
    """The QR code of a provisioning ``uri`` as an SVG ``data:`` URI for an ``<img>`` (our CSP
    allows ``img-src data:``), dark on light with the four-module quiet zone ISO/IEC 18004
    asks for, so any authenticator app can scan it."""
    qr = segno.make(uri, error="m")
    return str(qr.svg_data_uri(scale=5, border=4, dark="#000", light="#fff"))


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app that cannot scan."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def code_at(secret: str, at: datetime) -> str:
    return str(pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).at(at))


def verify_code(secret: str, code: str, *, at: datetime, last_step: int | None) -> TotpCheck:
    """Match ``code`` within ±1 step of ``at``. A step at or before ``last_step`` was already
    used (RFC 6238 §5.2: a verifier must not accept the second attempt of the same OTP)."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return TotpCheck(ok=False, step=None)
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = int(at.timestamp()) // PERIOD
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(str(totp.generate_otp(step)), code):
            if last_step is not None and step <= last_step:
                return TotpCheck(ok=False, step=step, replayed=True)
            return TotpCheck(ok=True, step=step)
    return TotpCheck(ok=False, step=None)
