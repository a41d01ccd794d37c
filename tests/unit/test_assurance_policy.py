"""The assurance policy of DESIGN.md §3: what each combination of methods reaches."""

from __future__ import annotations

import pytest

from idp.authn.policy import amr_for, assurance


@pytest.mark.parametrize(
    ("methods", "identity_level", "acr", "amr"),
    [
        (["pwd"], 1, "loa1", ["pwd"]),
        (["pwd", "otp"], 1, "loa2", ["pwd", "otp", "mfa"]),
        (["pwd", "hwk"], 1, "loa2", ["pwd", "hwk", "mfa"]),
        (["hwk"], 1, "loa1", ["hwk"]),  # a passkey without user verification is one factor
        (["hwk", "user"], 1, "loa2", ["hwk", "user", "mfa"]),
        (["hwk", "user"], 2, "loa3", ["hwk", "user", "mfa"]),
        (["pwd", "otp"], 2, "loa2", ["pwd", "otp", "mfa"]),  # not phishing-resistant
        (["pwd", "hwk"], 2, "loa2", ["pwd", "hwk", "mfa"]),  # no user verification
        (["otp"], 1, "loa1", ["otp"]),
        (["swk", "user"], 1, "loa2", ["swk", "user", "mfa"]),  # a synced passkey
        (["swk", "user"], 2, "loa3", ["swk", "user", "mfa"]),
        (["pwd", "swk"], 1, "loa2", ["pwd", "swk", "mfa"]),
        (["swk"], 2, "loa1", ["swk"]),
        (["pwd", "hwk", "user"], 2, "loa3", ["pwd", "hwk", "user", "mfa"]),
        (["pwd", "hwk", "user"], 1, "loa2", ["pwd", "hwk", "user", "mfa"]),
    ],
)
@pytest.mark.spec("RFC8176-2")
def test_levels(methods: list[str], identity_level: int, acr: str, amr: list[str]) -> None:
    assert amr_for(methods) == amr
    assert assurance(amr_for(methods), identity_level) == acr


def test_mfa_is_not_a_method_of_its_own() -> None:
    assert amr_for(["pwd", "mfa"]) == ["pwd"]
    assert assurance(["pwd", "mfa"], 1) == "loa1"
