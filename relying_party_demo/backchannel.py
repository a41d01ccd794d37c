"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): the provider POSTs a signed
logout token when a citizen's session there ends, and the portal ends its own sessions of it.

:func:`verify_logout_token` follows §2.6, in order:

1. the signature, with the provider's keys (:mod:`relying_party_demo.jwks`);
2. ``typ`` is ``logout+jwt`` when present (§2.4: explicit typing; an ID token is not a logout
   token);
3. ``iss``, ``aud``, ``iat`` and ``exp`` as for an ID token;
4. ``sub`` or ``sid``, or both, are present;
5. ``events`` holds the member ``http://schemas.openid.net/event/backchannel-logout``, a JSON
   object;
6. there is no ``nonce`` (§2.4 prohibits it, so an ID token cannot pass as a logout token);
7. the ``jti`` was not seen before (kept until the token expires).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError

from relying_party_demo import clock
from relying_party_demo.jwks import KeysUnavailableError

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEEWAY = 60
LOGOUT_TYPES = ("logout+jwt", "application/logout+jwt")


class LogoutTokenError(Exception):
    """The logout token is refused; the message says why (safe to send back to the provider)."""


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """What a verified logout token asks to end."""

    sid: str | None
    sub: str | None
    jti: str
    exp: int


Verify = Callable[[str], Any]  # returns a joserfc Token (header(), claims) or raises


def verify_logout_token(raw: str, *, verify: Verify, issuer: str, client_id: str) -> LogoutRequest:
    """The logout request a token makes, or :class:`LogoutTokenError` (``KeysUnavailableError``
    passes through: the provider should try again later)."""
    try:
        token = verify(raw)
    except KeysUnavailableError:
        raise
    except (JoseError, ValueError) as error:
        raise LogoutTokenError(f"the signature does not verify ({type(error).__name__})") from None
    header: Mapping[str, Any] = token.header
    claims: Mapping[str, Any] = token.claims

    typ = header.get("typ")
    if typ is not None and str(typ).lower() not in LOGOUT_TYPES:
        raise LogoutTokenError(f"typ is {typ!r}, not logout+jwt")
    if claims.get("iss") != issuer:
        raise LogoutTokenError("iss is not the provider")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise LogoutTokenError("aud does not name this portal")
    now = clock.now()
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or iat - LEEWAY > now:
        raise LogoutTokenError("iat is missing or in the future")
    if not isinstance(exp, int | float) or exp + LEEWAY <= now:
        raise LogoutTokenError("the token has expired (exp)")
    sid, sub = claims.get("sid"), claims.get("sub")
    if sid is None and sub is None:
        raise LogoutTokenError("neither sid nor sub is present")
    if (sid is not None and not isinstance(sid, str)) or (
        sub is not None and not isinstance(sub, str)
    ):
        raise LogoutTokenError("sid and sub must be strings")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise LogoutTokenError("events does not hold the back-channel logout event")
    if "nonce" in claims:
        raise LogoutTokenError("a logout token must not contain a nonce")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise LogoutTokenError("jti is missing")
    return LogoutRequest(sid=sid, sub=sub, jti=jti, exp=int(exp) + LEEWAY)
