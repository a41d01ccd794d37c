"""ID tokens that come back to us as hints (OIDC Core §3.1.2.1 `id_token_hint`, RP-Initiated
Logout §2): accepted only when we signed them, even after they expired, as long as the key that
signed them is still published."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.keys.store import SUPPORTED_ALGS, jwks


def read_id_token_hint(hint: str, *, issuer: str) -> dict[str, Any]:
    """The claims of an ID token we issued; its expiry is not checked (the spec allows an
    expired hint), its signature and issuer are."""
    keys = KeySet.import_key_set(jwks())  # type: ignore[arg-type]
    try:
        token = jwt.decode(hint, keys, algorithms=list(SUPPORTED_ALGS))
    except (JoseError, ValueError):
        raise InvalidRequestError(
            "The 'id_token_hint' is not an ID token of this provider."
        ) from None
    claims = dict(token.claims)
    # RFC 8725 §3.11: our access tokens (at+jwt) and logout tokens (logout+jwt) are signed with
    # the same keys and carry iss and sub too; only an ID token (typ JWT) is a hint.
    if str(token.header.get("typ", "JWT")).upper() != "JWT":
        raise InvalidRequestError("The 'id_token_hint' is not an ID token of this provider.")
    if claims.get("iss") != issuer or not isinstance(claims.get("sub"), str):
        raise InvalidRequestError("The 'id_token_hint' is not an ID token of this provider.")
    return claims


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]
