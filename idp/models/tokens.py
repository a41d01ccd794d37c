"""Issued tokens and the client assertions already seen.

A *family* is every token that descends from one authorization code: the access token and refresh
token of the code exchange, and each refresh token (and its access token) that rotation issued
after them. It is the unit of revocation (RFC 6749 §4.1.2, RFC 9700 §4.14.2, RFC 7009 §2.1).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.models.base import Base


class Token(Base):
    """An issued access token (a JWT, RFC 9068; stored as a digest) and what it grants."""

    __tablename__ = "token"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    jti: Mapped[str] = mapped_column(String(43), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    scope: Mapped[str] = mapped_column(String(1000))
    acr: Mapped[str] = mapped_column(String(8))
    # The family: the code this token descends from, so a replayed code or a reused refresh
    # token can revoke it (RFC 6749 §4.1.2).
    authorization_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorization_code.id"), index=True
    )
    # The provider session it was issued in; None for tokens issued on refresh (offline).
    sid: Mapped[str | None] = mapped_column(String(43), index=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class RefreshToken(Base):
    """A refresh token (stored as a digest). Using it consumes it and issues the next one of
    its family; presenting a consumed one again revokes the family (RFC 9700 §4.14.2)."""

    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    authorization_code_id: Mapped[int] = mapped_column(
        ForeignKey("authorization_code.id"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    # What the family grants, copied from its code: the scope (RFC 6749 §6: a refresh never
    # widens it) and how and when the citizen signed in (OIDC Core §12.2).
    scope: Mapped[str] = mapped_column(String(1000))
    auth_time: Mapped[datetime]
    acr: Mapped[str] = mapped_column(String(8))
    amr: Mapped[list[str]] = mapped_column(JSON)
    sid: Mapped[str | None] = mapped_column(String(43), index=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    consumed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ClientAssertion(Base):
    """The ``jti`` of a client assertion (``private_key_jwt``), kept until the assertion has
    expired so that a replay is refused (RFC 7523 §3 item 7). The unique constraint makes the
    first of two concurrent uses the only one that succeeds."""

    __tablename__ = "client_assertion"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(index=True)
