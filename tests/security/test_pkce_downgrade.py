"""PKCE (RFC 7636) cannot be downgraded: S256 only, a verifier always, and the verifier of this
authorization (RFC 9700 §2.1.1, §4.8)."""

from __future__ import annotations

import pytest

from tests.factories import pkce_pair
from tests.integration.conftest import Flow, query


@pytest.mark.parametrize("method", ["plain", "s256", "S512", ""])
@pytest.mark.spec("RFC9700-2.1.1")
def test_only_s256_is_accepted_at_the_authorization_endpoint(flow: Flow, method: str) -> None:
    response = flow.authorize(code_challenge_method=method)
    assert query(response.headers["Location"])["error"] == "invalid_request"


@pytest.mark.spec("RFC7636-4.3")
def test_a_challenge_without_a_method_is_not_taken_as_plain(flow: Flow) -> None:
    response = flow.authorize(code_challenge_method=None)
    assert query(response.headers["Location"])["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("verifier", "error"),
    [
        pytest.param(None, "invalid_request", id="no verifier"),
        pytest.param("", "invalid_request", id="empty verifier"),
        pytest.param("the-challenge", "invalid_grant", id="challenge as verifier (plain)"),
        pytest.param("another", "invalid_grant", id="another authorization's verifier"),
        pytest.param("a" * 42, "invalid_request", id="too short"),
        pytest.param("a" * 129, "invalid_request", id="too long"),
        pytest.param("a" * 42 + "!", "invalid_request", id="outside the alphabet"),
    ],
)
@pytest.mark.spec("RFC7636-4.6")
def test_the_token_request_must_carry_this_authorizations_verifier(
    flow: Flow, verifier: str | None, error: str
) -> None:
    callback = flow.code()
    if verifier == "the-challenge":
        verifier = flow.params["code_challenge"]
    elif verifier == "another":
        verifier = pkce_pair()[0]
    response = flow.redeem(callback["code"], code_verifier=verifier)
    assert response.status_code == 400
    assert response.get_json()["error"] == error
    # The attempt used the code up: whoever stole it got one try and no tokens.
    again = flow.redeem(callback["code"])
    assert again.get_json()["error"] == "invalid_grant"


@pytest.mark.spec("RFC7636-4.6")
def test_a_token_request_cannot_choose_the_method(flow: Flow) -> None:
    callback = flow.code()
    response = flow.redeem(
        callback["code"], code_verifier=flow.params["code_challenge"], code_challenge_method="plain"
    )
    assert response.get_json()["error"] == "invalid_grant"


@pytest.mark.spec("OIDCC-OIDCCEnsureRequestWithValidPkceSucceeds")
def test_a_valid_s256_exchange_succeeds(flow: Flow) -> None:
    response = flow.redeem(flow.code()["code"])
    assert response.status_code == 200
    assert response.get_json()["token_type"] == "Bearer"
