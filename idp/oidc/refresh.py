"""The refresh-token grant (RFC 6749 §6), with rotation and reuse detection (RFC 9700 §4.14.2).

Each refresh consumes the presented token and issues the next one of its family; a consumed
token presented again revokes the family (``tokens.consume_refresh_token``). The grant is open
only to portals registered for ``offline_access`` (``OAuthClient.check_grant_type``), and a
refresh token is bound to the portal it was issued to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from authlib.oauth2.rfc6749.errors import InvalidGrantError, OAuth2Error
from authlib.oauth2.rfc6749.grants import RefreshTokenGrant

from idp.extensions import db
from idp.models import Account, RefreshToken
from idp.oidc.clients import AUTH_METHODS, OAuthClient
from idp.oidc.tokens import commit_keeping_loaded, consume_refresh_token, issue_for_refresh


@dataclass(frozen=True, slots=True)
class IssuedRefreshToken:
    """What Authlib's refresh grant asks of a refresh token, over a consumed row."""

    row: RefreshToken

    def check_client(self, client: OAuthClient) -> bool:
        return client.get_client_id() == self.row.client_id

    def get_scope(self) -> str:
        return self.row.scope


class RefreshGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def validate_token_request(self) -> None:
        """A refused request (a scope beyond the family's, say) leaves the token unconsumed."""
        try:
            super().validate_token_request()
        except OAuth2Error:
            db.session.rollback()
            raise

    def authenticate_refresh_token(self, refresh_token: str) -> IssuedRefreshToken:
        row = consume_refresh_token(refresh_token, self.request.client.get_client_id())
        if row is None:
            raise InvalidGrantError(
                "The refresh token is unknown, expired, revoked, issued to another client, or "
                "already used (using one twice revokes its family)."
            )
        return IssuedRefreshToken(row)

    def authenticate_user(self, refresh_token: IssuedRefreshToken) -> Account | None:
        return db.session.get(Account, refresh_token.row.account_id)

    def generate_token(
        self,
        user: Account | None = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """Authlib passes the requested scope, already checked to be within the family's
        (RFC 6749 §6), or the family's own."""
        assert user is not None
        assert scope is not None
        refresh_token: IssuedRefreshToken = self.request.refresh_token
        return issue_for_refresh(
            refresh_token.row, user, self.request.client.row, " ".join(dict.fromkeys(scope.split()))
        )

    def save_token(self, token: dict[str, Any]) -> None:
        """Commit the tokens ``generate_token`` added, with the consumption of the old one."""
        commit_keeping_loaded()

    def revoke_old_credential(self, refresh_token: IssuedRefreshToken) -> None:
        """Nothing left to do: the token was consumed when it was authenticated."""
