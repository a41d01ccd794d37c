"""The token inspector's checks: every step of validating the ID token (OpenID Connect Core
§3.1.3.7) and the access token (RFC 9068 §4), one result each, as a tester wants to see them.

The sign-in itself was decided by Authlib and :mod:`relying_party_demo.signin`; these checks run
once more, independently, when the tokens arrive, and their results are kept with the session
for ``/inspector``. A portal never needs to read its access token (to a client it is opaque, RFC
9068 §6): the inspector decodes it only to show what the provider put in it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from relying_party_demo.procedures import satisfies

LEEWAY = 60


@dataclass(frozen=True, slots=True)
class Check:
    """One validation step: ``name`` picks its label, ``detail`` says what was compared."""

    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Expected:
    """What the portal knows the tokens must say."""

    issuer: str
    client_id: str
    nonce: str
    acr: str | None
    userinfo_sub: object
    now: int


def decode_part(raw: str, index: int) -> dict[str, Any] | None:
    """The JSON of a compact JWS's header (0) or payload (1), unverified, for display."""
    parts = raw.split(".")
    if len(parts) != 3:
        return None
    try:
        segment = parts[index]
        data = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _signature(raw: str, keys: KeySet, algorithms: list[str]) -> tuple[Check, dict[str, Any]]:
    header = decode_part(raw, 0) or {}
    try:
        token = jwt.decode(raw, keys, algorithms=algorithms)
    except JoseError as error:
        return Check("signature", False, f"{error.error}: {error.description or ''}".strip()), {}
    detail = f"{header.get('alg')} with the provider's key kid={header.get('kid')!r}"
    return Check("signature", True, detail), dict(token.claims)


def _time_checks(claims: Mapping[str, Any], now: int) -> list[Check]:
    exp, iat = claims.get("exp"), claims.get("iat")
    checks = []
    if isinstance(exp, int | float):
        checks.append(Check("exp", exp + LEEWAY > now, f"expires at {int(exp)}, checked at {now}"))
    else:
        checks.append(Check("exp", False, "no exp"))
    if isinstance(iat, int | float):
        checks.append(Check("iat", iat - LEEWAY <= now, f"issued at {int(iat)}, checked at {now}"))
    else:
        checks.append(Check("iat", False, "no iat"))
    return checks


def id_token_checks(
    raw: str,
    *,
    keys: KeySet,
    algorithms: list[str],
    expected: Expected,
    access_token: str | None,
) -> list[Check]:
    signature, claims = _signature(raw, keys, algorithms)
    if not signature.passed:
        claims = decode_part(raw, 1) or {}
    header = decode_part(raw, 0) or {}
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else []
    azp = claims.get("azp")
    checks = [
        signature,
        Check(
            "iss",
            claims.get("iss") == expected.issuer,
            f"{claims.get('iss')!r}, expected {expected.issuer!r}",
        ),
        Check(
            "aud",
            expected.client_id in audiences,
            f"{audiences!r} must contain {expected.client_id!r}",
        ),
        Check(
            "azp",
            (azp is None and len(audiences) == 1) or azp == expected.client_id,
            "absent, one audience" if azp is None else f"{azp!r}, expected {expected.client_id!r}",
        ),
        *_time_checks(claims, expected.now),
        Check(
            "nonce",
            claims.get("nonce") == expected.nonce,
            "equals the nonce sent" if claims.get("nonce") == expected.nonce else "differs",
        ),
        Check(
            "acr",
            expected.acr is None or satisfies(claims.get("acr"), expected.acr),
            f"{claims.get('acr')!r}, asked for {expected.acr or 'no level'}",
        ),
    ]
    if "at_hash" in claims and access_token and isinstance(header.get("alg"), str):
        expected_hash = create_half_hash(access_token, header["alg"])
        matches = expected_hash is not None and expected_hash.decode() == claims["at_hash"]
        checks.append(Check("at_hash", matches, "hash of the access token"))
    checks.append(
        Check(
            "sub",
            isinstance(claims.get("sub"), str) and claims.get("sub") == expected.userinfo_sub,
            "the same subject in the ID token and in UserInfo",
        )
    )
    return checks


def access_token_checks(
    raw: str,
    *,
    keys: KeySet,
    algorithms: list[str],
    expected: Expected,
    id_token_sub: object,
) -> list[Check]:
    header = decode_part(raw, 0)
    if header is None:
        return [Check("format", False, "not a JWT: an opaque access token")]
    typ = str(header.get("typ", "")).lower()
    signature, claims = _signature(raw, keys, algorithms)
    if not signature.passed:
        claims = decode_part(raw, 1) or {}
    return [
        # RFC 9068 §2.1 / §4: explicit typing keeps an ID token from passing as an access token.
        Check("typ", typ in ("at+jwt", "application/at+jwt"), f"typ {header.get('typ')!r}"),
        signature,
        Check(
            "iss",
            claims.get("iss") == expected.issuer,
            f"{claims.get('iss')!r}, expected {expected.issuer!r}",
        ),
        # The audience is the resource server (here the provider's UserInfo), not the portal.
        Check("aud", bool(claims.get("aud")), f"for the resource {claims.get('aud')!r}"),
        *_time_checks(claims, expected.now),
        Check(
            "client_id",
            claims.get("client_id") == expected.client_id,
            f"{claims.get('client_id')!r}, expected {expected.client_id!r}",
        ),
        Check(
            "sub",
            claims.get("sub") == id_token_sub,
            "the same subject as the ID token",
        ),
        Check("scope", isinstance(claims.get("scope"), str), f"{claims.get('scope')!r}"),
    ]
