"""The lab never offers a one-time code it already used (the provider accepts each step once)."""

from __future__ import annotations

import pyotp
import pytest

from relying_party_demo.lab.config import citizen
from relying_party_demo.lab.errors import LabError
from relying_party_demo.lab.one_time_codes import OneTimeCodes

SECRET = "63NVG34AEYL7Q7QYVX5NJUHKP76D6BCO"
ISSUER = "http://localhost:5000"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_each_sign_in_gets_a_step_not_used_before() -> None:
    clock = Clock(30 * 1000 + 5)
    codes = OneTimeCodes(clock, clock.sleep)
    someone = citizen("001090012345", "pw", SECRET, "citizen")
    totp = pyotp.TOTP(SECRET)

    assert codes.code(ISSUER, someone, max_wait=60) == totp.generate_otp(1000)
    # Within the same 30 s: the next step's code, which the provider accepts (one step of drift).
    assert codes.code(ISSUER, someone, max_wait=60) == totp.generate_otp(1001)
    assert clock.slept == []
    # Both spent: wait until step 1002 is within the drift.
    assert codes.code(ISSUER, someone, max_wait=60) == totp.generate_otp(1002)
    assert clock.slept
    assert 0 < clock.slept[0] <= 30
    assert int(clock.now // 30) == 1001


def test_the_wait_is_bounded() -> None:
    clock = Clock(30 * 1000 + 1)
    codes = OneTimeCodes(clock, clock.sleep)
    someone = citizen("001090012345", "pw", SECRET, "citizen")
    codes.code(ISSUER, someone, max_wait=5)
    codes.code(ISSUER, someone, max_wait=5)
    with pytest.raises(LabError, match="try again in"):
        codes.code(ISSUER, someone, max_wait=5)
    assert clock.slept == []


def test_accounts_and_issuers_are_counted_apart() -> None:
    clock = Clock(30 * 1000)
    codes = OneTimeCodes(clock, clock.sleep)
    first = citizen("001090012345", "pw", SECRET, "citizen")
    second = citizen("079185004321", "pw", SECRET, "second citizen")
    assert codes.code(ISSUER, first, max_wait=0) == codes.code(ISSUER, second, max_wait=0)
    assert codes.code("http://other", first, max_wait=0) == pyotp.TOTP(SECRET).generate_otp(1000)


def test_a_citizen_without_a_secret_is_an_error() -> None:
    with pytest.raises(LabError, match="no TOTP secret"):
        OneTimeCodes().code(ISSUER, citizen("001090012345", "pw", None, "citizen"), max_wait=0)
