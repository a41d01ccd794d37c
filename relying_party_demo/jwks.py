"""The provider's signing keys (its JWKS), for the tokens the portal verifies itself: logout
tokens, and the ID and access tokens that the token inspector checks step by step.

Authlib's client keeps the JWKS in the discovery metadata it caches per process, and fetches it
again when an ID token names a ``kid`` it lacks (``OpenIDMixin.parse_id_token``), which is how a
key rotation at the provider reaches the portal. The same cache serves here. A logout token,
though, comes from anyone who can POST to the portal, so a made-up ``kid`` fetches the JWKS again
at most every :data:`REFETCH_SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

import requests
from flask import current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

REFETCH_SECONDS = 10
# Signatures the portal accepts: asymmetric only ("none" and HS* would let anyone sign).
ASYMMETRIC_ALGS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)
_REFETCHED_AT = "relying_party_demo.jwks_refetched_at"


class KeysUnavailableError(Exception):
    """The provider's JWKS could not be fetched or is not a JWK Set."""


class KeySource(Protocol):
    """The part of Authlib's client that holds the provider's metadata and JWKS."""

    def load_server_metadata(self) -> dict[str, Any]: ...

    def fetch_jwk_set(self, force: bool = False) -> dict[str, Any]: ...


def algorithms(metadata: Mapping[str, Any]) -> list[str]:
    """The asymmetric algorithms the provider says it signs ID tokens with."""
    advertised = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    return [alg for alg in advertised if alg in ASYMMETRIC_ALGS]


def key_set(client: KeySource, *, force: bool = False) -> KeySet:
    try:
        return KeySet.import_key_set(client.fetch_jwk_set(force=force))  # type: ignore[arg-type]
    except (requests.RequestException, RuntimeError, ValueError, TypeError, JoseError) as error:
        raise KeysUnavailableError(type(error).__name__) from error


def verify(raw: str, client: KeySource) -> jwt.Token:
    """The token, once its signature verifies with one of the provider's keys.

    Raises :class:`joserfc.errors.JoseError` when it does not, and :class:`KeysUnavailableError`
    when the keys cannot be had.
    """
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise KeysUnavailableError(type(error).__name__) from error
    allowed = algorithms(metadata)
    try:
        return jwt.decode(raw, key_set(client), algorithms=allowed)
    except InvalidKeyIdError:
        # The provider may have rotated its keys since they were fetched.
        refetched: dict[int, float] = current_app.extensions.setdefault(_REFETCHED_AT, {})
        last = refetched.get(id(client), 0.0)
        if time.monotonic() - last < REFETCH_SECONDS:
            raise
        refetched[id(client)] = time.monotonic()
        return jwt.decode(raw, key_set(client, force=True), algorithms=allowed)
