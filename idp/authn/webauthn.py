"""Passkeys: the WebAuthn Level 3 ceremonies as plain functions over plain values, on py_webauthn.

Registration (§7.1) and authentication (§7.2) each take two steps: options for the browser's
``navigator.credentials.create()``/``get()``, then the verification of what it sent back. The
challenge is kept by the caller (server-side, single-use); this module only checks a response
against it. Every failure of the library becomes one of our own errors, whose message is for the
log and never shown to the citizen (the shape of warehouse's ``utils/webauthn.py``).
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import webauthn
from webauthn.helpers import (
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

UserVerification = Literal["required", "preferred"]

# §13.4.3: challenges of at least 16 random bytes; 32 cost nothing more.
CHALLENGE_BYTES = 32
# §6.5.1 (credentialIdLength): a credential ID has at most 1023 bytes.
MAX_CREDENTIAL_ID_BYTES = 1023
# A response is a few kilobytes of JSON; anything much larger is not one.
MAX_RESPONSE_JSON = 64 * 1024
TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)
_LIBRARY_ERRORS = (WebAuthnException, ValueError, TypeError, KeyError)


class WebAuthnError(Exception):
    """A ceremony failed. The message says why, for the log only."""


class RegistrationRejectedError(WebAuthnError):
    """A registration response does not meet §7.1."""


class AuthenticationRejectedError(WebAuthnError):
    """An authentication response does not meet §7.2."""


class SignCountRegressedError(AuthenticationRejectedError):
    """§7.2 and §6.1.1: a valid signature whose counter did not move forward, a sign that the
    authenticator may have been cloned. The credential should be suspended."""


@dataclass(frozen=True, slots=True)
class RelyingParty:
    id: str  # the RP ID (§4, §5.4.2 ``rp.id``): a domain, never an IP address
    name: str
    origin: str  # the only origin whose client data is accepted (§7.1, §7.2: origin check)


@dataclass(frozen=True, slots=True)
class CredentialRef:
    """A stored credential as named in ``excludeCredentials``/``allowCredentials``."""

    id: bytes
    transports: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NewCredential:
    """A verified registration: what to store."""

    credential_id: bytes
    public_key: bytes  # COSE_Key
    sign_count: int
    transports: tuple[str, ...]
    user_verified: bool
    backup_eligible: bool
    backed_up: bool


@dataclass(frozen=True, slots=True)
class ClaimedAssertion:
    """What an assertion says about itself before it is verified: which credential it is from,
    for which user handle, and which challenge it answers."""

    credential_id: bytes
    user_handle: bytes | None
    challenge: bytes


@dataclass(frozen=True, slots=True)
class VerifiedAssertion:
    credential_id: bytes
    sign_count: int
    user_verified: bool
    backed_up: bool


def relying_party(issuer: str, name: str) -> RelyingParty:
    """The relying party of an issuer URL: its host is the RP ID, its origin the one origin."""
    parts = urlsplit(issuer)
    host = (parts.hostname or "").lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        # §4 (RP ID): a valid domain string; an IP address is not one.
        raise WebAuthnError("an IP address cannot be a WebAuthn RP ID")
    if not host or parts.scheme not in ("https", "http"):
        raise WebAuthnError("the issuer has no host to be the RP ID")
    # An origin names its port only when it is not the scheme's default (RFC 6454 §6.1).
    default_port = {"https": 443, "http": 80}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    origin = f"{parts.scheme}://{host}{port}"
    return RelyingParty(id=host, name=name, origin=origin)


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def _descriptors(credentials: Sequence[CredentialRef]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=credential.id,
            transports=[
                AuthenticatorTransport(t) for t in credential.transports if t in TRANSPORTS
            ],
        )
        for credential in credentials
    ]


def registration_options(
    rp: RelyingParty,
    *,
    user_handle: bytes,
    user_name: str,
    display_name: str,
    challenge: bytes,
    exclude: Sequence[CredentialRef],
    timeout_ms: int,
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptions`` as JSON (§5.4). A discoverable credential is
    required, so the citizen can sign in without typing a number, and so is user verification:
    every passkey may be used as the only factor. ``exclude`` (§5.4.1 ``excludeCredentials``)
    stops an authenticator that already holds one of the account's credentials from making a
    second."""
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=timeout_ms,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(exclude),
    )
    return options_to_json_dict(options)


def response_from_json(text: str) -> dict[str, Any] | None:
    """A ``PublicKeyCredential`` as the browser's JSON (§5.1, ``toJSON()``), or None when
    ``text`` is not a JSON object of a sensible size."""
    if not text or len(text) > MAX_RESPONSE_JSON:
        return None
    try:
        response = json.loads(text)
    except ValueError:
        return None
    return response if isinstance(response, dict) else None


def claimed_challenge(response: Mapping[str, Any]) -> bytes:
    """The challenge a response's client data answers, unverified: the key to find the
    server-side record of the ceremony it belongs to."""
    try:
        client_data = response["response"]["clientDataJSON"]
        return bytes(parse_client_data_json(webauthn.base64url_to_bytes(client_data)).challenge)
    except _LIBRARY_ERRORS as error:
        raise WebAuthnError(f"unreadable client data: {type(error).__name__}") from None


def verify_registration(
    rp: RelyingParty, *, response: Mapping[str, Any], challenge: bytes
) -> NewCredential:
    """§7.1: client data type, challenge and origin; RP ID hash; user present and verified;
    attestation ``none`` or a verifiable statement; an accepted algorithm."""
    try:
        credential = parse_registration_credential_json(dict(response))
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except _LIBRARY_ERRORS as error:
        raise RegistrationRejectedError(str(error) or type(error).__name__) from None
    if len(verified.credential_id) > MAX_CREDENTIAL_ID_BYTES:
        raise RegistrationRejectedError("credential ID longer than 1023 bytes")
    return NewCredential(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=tuple(t.value for t in credential.response.transports or ()),
        user_verified=verified.user_verified,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
    )


def authentication_options(
    rp: RelyingParty,
    *,
    challenge: bytes,
    user_verification: UserVerification,
    allow: Sequence[CredentialRef] = (),
    timeout_ms: int,
) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptions`` as JSON (§5.5). With ``allow`` empty the
    authenticator offers its discoverable credentials for this RP ID."""
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=timeout_ms,
        allow_credentials=_descriptors(allow),
        user_verification=UserVerificationRequirement(user_verification),
    )
    return options_to_json_dict(options)


def claimed_assertion(response: Mapping[str, Any]) -> ClaimedAssertion:
    try:
        credential = parse_authentication_credential_json(dict(response))
    except _LIBRARY_ERRORS as error:
        raise AuthenticationRejectedError(str(error) or type(error).__name__) from None
    return ClaimedAssertion(
        credential_id=credential.raw_id,
        user_handle=credential.response.user_handle,
        challenge=claimed_challenge(response),
    )


def verify_authentication(
    rp: RelyingParty,
    *,
    response: Mapping[str, Any],
    challenge: bytes,
    public_key: bytes,
    sign_count: int,
    user_verification: UserVerification,
) -> VerifiedAssertion:
    """§7.2: client data type, challenge and origin; RP ID hash; user present (and verified
    when required); the signature over authenticator data and client data hash; then the
    signature counter."""
    try:
        verified = webauthn.verify_authentication_response(
            credential=dict(response),
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=public_key,
            # The counter is compared below, after the signature is known to be good, so that
            # only the authenticator's holder can get a credential suspended.
            credential_current_sign_count=0,
            require_user_verification=user_verification == "required",
        )
    except _LIBRARY_ERRORS as error:
        raise AuthenticationRejectedError(str(error) or type(error).__name__) from None
    # §7.2 (signature counter): when either counter is non-zero, a new one that is not greater
    # signals a cloned authenticator (§6.1.1).
    if (verified.new_sign_count or sign_count) and verified.new_sign_count <= sign_count:
        raise SignCountRegressedError(
            f"sign count {verified.new_sign_count} not above stored {sign_count}"
        )
    return VerifiedAssertion(
        credential_id=verified.credential_id,
        sign_count=verified.new_sign_count,
        user_verified=verified.user_verified,
        backed_up=verified.credential_backed_up,
    )
