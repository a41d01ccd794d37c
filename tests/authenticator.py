"""A software WebAuthn authenticator and client, built on `cryptography`, for tests.

It makes what a browser sends back from ``navigator.credentials.create()`` and ``get()``
(WebAuthn L3 §5.1, JSON as in ``PublicKeyCredential.toJSON()``): ES256 keys, attestation
``none``, discoverable credentials and a signature counter. Every call takes keywords that break
one thing (origin, RP ID, flags, counter, challenge, user handle), so negative cases are made
the same way as valid ones.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

# §6.1 authenticator data flags
UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes(16)  # attestation "none": no claim about the authenticator's make


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


def _cose_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    numbers = key.public_key().public_numbers()
    # RFC 9053 §7.1.1: EC2 key, ES256 (-7), curve P-256 (1), x and y coordinates.
    return cbor2.dumps(
        {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    )


class SoftwareAuthenticator:
    """A platform authenticator and the browser around it, at ``origin``."""

    def __init__(self, origin: str, *, backup_eligible: bool = False) -> None:
        self.origin = origin
        self.backup_eligible = backup_eligible
        self.credentials: list[Credential] = []

    def _flags(self, *, user_present: bool, user_verified: bool, attested: bool) -> int:
        flags = (UP if user_present else 0) | (UV if user_verified else 0)
        flags |= (BE | BS) if self.backup_eligible else 0
        return flags | (AT if attested else 0)

    def _client_data(
        self, kind: str, challenge: str, origin: str | None, override: str | None
    ) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": override if override is not None else challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def create(
        self,
        options: Mapping[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_present: bool = True,
        user_verified: bool = True,
        challenge: str | None = None,
        credential_id: bytes | None = None,
        kind: str = "webauthn.create",
    ) -> dict[str, Any]:
        """The registration response to ``options`` (``PublicKeyCredentialCreationOptions``
        as JSON); keywords break one thing."""
        key = ec.generate_private_key(ec.SECP256R1())
        credential = Credential(
            credential_id=credential_id or os.urandom(32),
            key=key,
            rp_id=rp_id or options["rp"]["id"],
            user_handle=unb64url(options["user"]["id"]),
        )
        self.credentials.append(credential)
        attested = AAGUID + len(credential.credential_id).to_bytes(2, "big")
        attested += credential.credential_id + _cose_key(key)
        auth_data = (
            hashlib.sha256(credential.rp_id.encode()).digest()
            + bytes(
                [self._flags(user_present=user_present, user_verified=user_verified, attested=True)]
            )
            + credential.sign_count.to_bytes(4, "big")
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(
                    self._client_data(kind, options["challenge"], origin, challenge)
                ),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: Mapping[str, Any],
        *,
        credential: Credential | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        user_present: bool = True,
        user_verified: bool = True,
        sign_count: int | None = None,
        challenge: str | None = None,
        user_handle: bytes | bool = True,
        kind: str = "webauthn.get",
    ) -> dict[str, Any]:
        """The assertion answering ``options`` (``PublicKeyCredentialRequestOptions`` as
        JSON), from ``credential`` or else the first one the options allow. The counter goes
        up by one unless ``sign_count`` is given; ``user_handle`` False leaves it out."""
        if credential is None:
            allowed = {unb64url(c["id"]) for c in options.get("allowCredentials", [])}
            credential = next(
                c
                for c in self.credentials
                if c.rp_id == options["rpId"] and (not allowed or c.credential_id in allowed)
            )
        credential.sign_count = credential.sign_count + 1 if sign_count is None else sign_count
        auth_data = (
            hashlib.sha256((rp_id or credential.rp_id).encode()).digest()
            + bytes(
                [
                    self._flags(
                        user_present=user_present, user_verified=user_verified, attested=False
                    )
                ]
            )
            + credential.sign_count.to_bytes(4, "big")
        )
        client_data = self._client_data(kind, options["challenge"], origin, challenge)
        signature = credential.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        response: dict[str, Any] = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if user_handle is True:
            response["userHandle"] = b64url(credential.user_handle)
        elif isinstance(user_handle, bytes):
            response["userHandle"] = b64url(user_handle)
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": response,
        }
