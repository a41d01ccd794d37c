"""The WebAuthn ceremonies (idp.authn.webauthn) against a software authenticator: each test makes
a valid response and breaks one thing."""

from __future__ import annotations

from typing import Any

import pytest

from idp.authn import webauthn
from idp.authn.webauthn import (
    AuthenticationRejectedError,
    CredentialRef,
    RegistrationRejectedError,
    SignCountRegressedError,
)
from tests.authenticator import SoftwareAuthenticator, b64url, unb64url

RP = webauthn.relying_party("http://localhost:5000", "citizen-idp")
USER_HANDLE = b"\x01" * 32


def _registration(challenge: bytes) -> dict[str, Any]:
    return webauthn.registration_options(
        RP,
        user_handle=USER_HANDLE,
        user_name="087084000999",
        display_name="Nguyễn Văn An",
        challenge=challenge,
        exclude=[],
        timeout_ms=300_000,
    )


def _registered(authenticator: SoftwareAuthenticator) -> webauthn.NewCredential:
    challenge = webauthn.new_challenge()
    response = authenticator.create(_registration(challenge))
    return webauthn.verify_registration(RP, response=response, challenge=challenge)


def _assert(
    authenticator: SoftwareAuthenticator,
    stored: webauthn.NewCredential,
    *,
    user_verification: webauthn.UserVerification = "required",
    stored_count: int | None = None,
    **breaks: Any,
) -> webauthn.VerifiedAssertion:
    challenge = webauthn.new_challenge()
    options = webauthn.authentication_options(
        RP, challenge=challenge, user_verification=user_verification, timeout_ms=300_000
    )
    response = authenticator.get(options, **breaks)
    return webauthn.verify_authentication(
        RP,
        response=response,
        challenge=challenge,
        public_key=stored.public_key,
        sign_count=stored.sign_count if stored_count is None else stored_count,
        user_verification=user_verification,
    )


@pytest.fixture
def authenticator() -> SoftwareAuthenticator:
    return SoftwareAuthenticator("http://localhost:5000")


def test_the_relying_party_is_the_issuers_host_and_origin() -> None:
    assert RP.id == "localhost"
    assert RP.origin == "http://localhost:5000"
    secure = webauthn.relying_party("https://ID.Example.vn:443/", "x")
    assert (secure.id, secure.origin) == ("id.example.vn", "https://id.example.vn")


@pytest.mark.spec("WebAuthn-L3-4")
def test_an_ip_address_cannot_be_an_rp_id() -> None:
    with pytest.raises(webauthn.WebAuthnError):
        webauthn.relying_party("http://127.0.0.1:5000", "x")


@pytest.mark.spec("WebAuthn-L3-5.4")
def test_registration_asks_for_a_discoverable_credential_and_user_verification() -> None:
    challenge = webauthn.new_challenge()
    options = webauthn.registration_options(
        RP,
        user_handle=USER_HANDLE,
        user_name="087084000999",
        display_name="Nguyễn Văn An",
        challenge=challenge,
        exclude=[CredentialRef(b"old", ("usb", "not-a-transport"))],
        timeout_ms=300_000,
    )
    assert options["rp"] == {"id": "localhost", "name": "citizen-idp"}
    assert unb64url(options["user"]["id"]) == USER_HANDLE
    assert unb64url(options["challenge"]) == challenge
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert options["excludeCredentials"] == [
        {"id": b64url(b"old"), "type": "public-key", "transports": ["usb"]}
    ]
    assert options["timeout"] == 300_000


def test_a_valid_registration_gives_the_credential_to_store(
    authenticator: SoftwareAuthenticator,
) -> None:
    new = _registered(authenticator)
    assert new.credential_id == authenticator.credentials[0].credential_id
    assert new.sign_count == 0
    assert new.transports == ("internal",)
    assert new.user_verified
    assert (new.backup_eligible, new.backed_up) == (False, False)


def test_a_synced_passkey_says_so() -> None:
    new = _registered(SoftwareAuthenticator("http://localhost:5000", backup_eligible=True))
    assert (new.backup_eligible, new.backed_up) == (True, True)


@pytest.mark.spec("WebAuthn-L3-7.1")
@pytest.mark.parametrize(
    "breaks",
    [
        pytest.param({"origin": "http://localhost:5001"}, id="wrong-origin"),
        pytest.param({"origin": "http://evil.example"}, id="foreign-origin"),
        pytest.param({"rp_id": "evil.example"}, id="wrong-rp-id"),
        pytest.param({"user_verified": False}, id="no-user-verification"),
        pytest.param({"user_present": False}, id="no-user-presence"),
        pytest.param({"challenge": b64url(b"another challenge")}, id="other-challenge"),
        pytest.param({"kind": "webauthn.get"}, id="wrong-ceremony"),
    ],
)
def test_a_broken_registration_is_rejected(
    authenticator: SoftwareAuthenticator, breaks: dict[str, Any]
) -> None:
    challenge = webauthn.new_challenge()
    response = authenticator.create(_registration(challenge), **breaks)
    with pytest.raises(RegistrationRejectedError):
        webauthn.verify_registration(RP, response=response, challenge=challenge)


@pytest.mark.parametrize(
    "response",
    [
        {},
        {"id": "x", "rawId": "x", "type": "public-key", "response": {}},
        {"id": "x", "rawId": "y", "type": "public-key", "response": {"clientDataJSON": "!!"}},
    ],
)
def test_garbage_is_rejected_with_our_error(response: dict[str, Any]) -> None:
    with pytest.raises(webauthn.WebAuthnError):
        webauthn.verify_registration(RP, response=response, challenge=b"c" * 32)
    with pytest.raises(webauthn.WebAuthnError):
        webauthn.claimed_assertion(response)


def test_the_claimed_challenge_and_credential_are_read_before_verification(
    authenticator: SoftwareAuthenticator,
) -> None:
    _registered(authenticator)
    challenge = webauthn.new_challenge()
    options = webauthn.authentication_options(
        RP, challenge=challenge, user_verification="required", timeout_ms=1000
    )
    claimed = webauthn.claimed_assertion(authenticator.get(options))
    assert claimed.challenge == challenge
    assert claimed.credential_id == authenticator.credentials[0].credential_id
    assert claimed.user_handle == USER_HANDLE


@pytest.mark.spec("WebAuthn-L3-5.5")
def test_authentication_options_name_allowed_credentials_and_user_verification() -> None:
    challenge = webauthn.new_challenge()
    options = webauthn.authentication_options(
        RP,
        challenge=challenge,
        user_verification="preferred",
        allow=[CredentialRef(b"cred", ("internal",))],
        timeout_ms=300_000,
    )
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "preferred"
    assert options["allowCredentials"] == [
        {"id": b64url(b"cred"), "type": "public-key", "transports": ["internal"]}
    ]
    passwordless = webauthn.authentication_options(
        RP, challenge=challenge, user_verification="required", timeout_ms=300_000
    )
    assert passwordless["allowCredentials"] == []


def test_a_valid_assertion_gives_the_new_counter(authenticator: SoftwareAuthenticator) -> None:
    stored = _registered(authenticator)
    verified = _assert(authenticator, stored)
    assert verified.sign_count == 1
    assert verified.user_verified
    assert verified.credential_id == stored.credential_id


@pytest.mark.spec("WebAuthn-L3-7.2")
@pytest.mark.parametrize(
    "breaks",
    [
        pytest.param({"origin": "http://localhost:5001"}, id="wrong-origin"),
        pytest.param({"rp_id": "evil.example"}, id="wrong-rp-id"),
        pytest.param({"user_verified": False}, id="no-user-verification"),
        pytest.param({"user_present": False}, id="no-user-presence"),
        pytest.param({"challenge": b64url(b"another challenge")}, id="other-challenge"),
        pytest.param({"kind": "webauthn.create"}, id="wrong-ceremony"),
    ],
)
def test_a_broken_assertion_is_rejected(
    authenticator: SoftwareAuthenticator, breaks: dict[str, Any]
) -> None:
    stored = _registered(authenticator)
    with pytest.raises(AuthenticationRejectedError):
        _assert(authenticator, stored, **breaks)


def test_user_verification_is_not_required_when_only_preferred(
    authenticator: SoftwareAuthenticator,
) -> None:
    stored = _registered(authenticator)
    verified = _assert(authenticator, stored, user_verification="preferred", user_verified=False)
    assert not verified.user_verified


def test_a_signature_by_another_key_is_rejected(authenticator: SoftwareAuthenticator) -> None:
    stored = _registered(authenticator)
    other = _registered(SoftwareAuthenticator("http://localhost:5000"))
    with pytest.raises(AuthenticationRejectedError):
        _assert(authenticator, other)
    assert stored.public_key != other.public_key


@pytest.mark.spec("WebAuthn-L3-6.1.1")
@pytest.mark.parametrize(("stored_count", "new_count"), [(5, 5), (5, 4), (5, 0)])
def test_a_counter_that_does_not_move_forward_signals_a_clone(
    authenticator: SoftwareAuthenticator, stored_count: int, new_count: int
) -> None:
    stored = _registered(authenticator)
    with pytest.raises(SignCountRegressedError):
        _assert(authenticator, stored, stored_count=stored_count, sign_count=new_count)


def test_an_authenticator_without_a_counter_is_accepted(
    authenticator: SoftwareAuthenticator,
) -> None:
    stored = _registered(authenticator)
    assert _assert(authenticator, stored, stored_count=0, sign_count=0).sign_count == 0


def test_a_regression_is_reported_only_for_a_valid_signature(
    authenticator: SoftwareAuthenticator,
) -> None:
    stored = _registered(authenticator)
    with pytest.raises(AuthenticationRejectedError) as refused:
        _assert(authenticator, stored, stored_count=5, sign_count=1, origin="http://evil.example")
    assert not isinstance(refused.value, SignCountRegressedError)
