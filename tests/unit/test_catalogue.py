"""The claims catalogue: one table drives release and assurance."""

from __future__ import annotations

from idp.consent.catalogue import CATALOGUE, claims_for, lowest_acr, satisfies


def test_every_scope_is_described_in_both_languages() -> None:
    for scope in CATALOGUE:
        assert scope.description["vi"]
        assert scope.description["en"]


def test_claims_follow_only_the_granted_scopes() -> None:
    assert claims_for(["openid", "citizen_id"]) == {"sub", "citizen_id"}
    assert "citizen_id" not in claims_for(["openid", "profile"])
    assert claims_for(["unknown"]) == frozenset()


def test_lowest_acr_is_the_highest_of_the_scopes() -> None:
    assert lowest_acr(["openid", "profile"]) == "loa1"
    assert lowest_acr(["openid", "profile", "health_insurance"]) == "loa2"
    assert satisfies("loa3", "loa2")
    assert not satisfies("loa1", "loa2")
