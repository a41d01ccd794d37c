"""Token introspection (RFC 7662) and revocation (RFC 7009), for authenticated portals, each
seeing only its own tokens.

Introspection needs a confidential client (RFC 7662 §2.1: the endpoint requires authorization);
revocation also accepts a public client identified by ``client_id`` (RFC 7009 §2.1 validates
credentials "in case of a confidential client"), since revoking can only take access away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import UnauthorizedClientError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import current_app

from idp import clock
from idp.extensions import db
from idp.models import Account, RefreshToken, Token
from idp.oidc.clients import AUTH_METHODS, OAuthClient, find_client
from idp.oidc.subject import subject_for
from idp.oidc.tokens import (
    access_token_audience,
    find_access_token,
    find_refresh_token,
    revoke_access_token,
    revoke_family,
)


@dataclass(frozen=True, slots=True)
class PresentedToken:
    """An access or refresh token that a portal presented, as Authlib's endpoints see it."""

    row: Token | RefreshToken

    def check_client(self, client: OAuthClient) -> bool:
        return self.row.client_id == client.get_client_id()

    def is_expired(self) -> bool:
        return self.row.expires_at <= clock.now()

    def is_revoked(self) -> bool:
        # A consumed (rotated) refresh token is as dead as a revoked one.
        consumed = isinstance(self.row, RefreshToken) and self.row.consumed_at is not None
        return consumed or self.row.revoked_at is not None


def find_token(token: str, hint: str | None) -> PresentedToken | None:
    # RFC 7662 §2.1, RFC 7009 §2.1: the hint only orders the search; a wrong one hides nothing.
    finders = (
        (find_refresh_token, find_access_token)
        if hint == "refresh_token"
        else (find_access_token, find_refresh_token)
    )
    for find in finders:
        row = find(token)
        if row is not None:
            return PresentedToken(row)
    return None


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = [m for m in AUTH_METHODS if m != "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        return find_token(token_string, token_type_hint)

    def check_permission(
        self, token: PresentedToken, client: OAuthClient, request: OAuth2Request
    ) -> bool:
        # RFC 7662 §2.2: a token the caller may not introspect is answered {"active": false},
        # the same as an unknown one, so a portal learns nothing of other portals' tokens.
        return token.check_client(client)

    def introspect_token(self, token: PresentedToken) -> dict[str, Any]:
        """RFC 7662 §2.2 members; ``sub`` is the identifier this portal knows the citizen by."""
        row = token.row
        account = db.session.get(Account, row.account_id)
        client = find_client(row.client_id)
        assert account is not None
        assert client is not None
        issuer = current_app.config["ISSUER"]
        body: dict[str, Any] = {
            "active": True,
            "scope": row.scope,
            "client_id": row.client_id,
            "sub": subject_for(account, client, salt=current_app.config["SUBJECT_SALT"]),
            "iss": issuer,
            "iat": int(row.issued_at.timestamp()),
            "exp": int(row.expires_at.timestamp()),
            "acr": row.acr,
        }
        if isinstance(row, Token):
            body.update(aud=access_token_audience(issuer), jti=row.jti)
            body["token_type"] = "Bearer"  # noqa: S105 (RFC 6750's type name, not a secret)
        return body


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)

    def authenticate_token(
        self, request: OAuth2Request, client: OAuthClient
    ) -> PresentedToken | None:
        self.check_params(request, client)
        token = find_token(request.form["token"], request.form.get("token_type_hint"))
        if token is not None and not token.check_client(client):
            # RFC 7009 §2.1: the server verifies that the token was issued to the requesting
            # client; if not, the request is refused with an error (§2.2.1, RFC 6749 §5.2).
            raise UnauthorizedClientError("The token was not issued to this client.")
        # RFC 7009 §2.2: an unknown, expired or revoked token is answered 200 all the same.
        return token

    def revoke_token(self, token: PresentedToken, request: OAuth2Request) -> None:
        row = token.row
        if isinstance(row, RefreshToken):
            # RFC 7009 §2.1: revoking a refresh token also revokes the access tokens of its
            # grant: here, its whole family.
            revoke_family(row.authorization_code_id)
        else:
            revoke_access_token(row)
