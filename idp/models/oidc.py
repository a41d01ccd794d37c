"""Protocol state: unfinished authorizations and authorization codes (tokens: ``tokens``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.models.base import Base


class TransactionState(enum.StrEnum):
    """Where an authorization stands. Each step moves it forward once, so a replayed step fails::

    LOGIN ──password──► OTP ──code or passkey──► CONSENT ──allow──► APPROVED ──resume──► FINISHED
      ├──(no second factor, or signed in)──────┘  └──deny───► DENIED ───resume──┘
      └──passkey alone─────────────────────────┘
    any step that cannot succeed (level unreachable) ──► DENIED with an error code

    OTP ──recovery code──► RECOVERY ──new password──► NEW_TOTP ──new authenticator──► CONSENT
    (a recovery code stands in for the lost device once; the sign-in goes on only when the
    citizen has a new password and a new authenticator)
    """

    LOGIN = "login"
    OTP = "otp"
    RECOVERY = "recovery"
    NEW_TOTP = "new_totp"
    CONSENT = "consent"
    APPROVED = "approved"
    DENIED = "denied"
    FINISHED = "finished"


class AuthorizationTransaction(Base):
    """A validated authorization request waiting for the citizen to sign in and consent."""

    __tablename__ = "authorization_transaction"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    # Binds the transaction to the browser that started it (SHA-256 of a cookie-held nonce).
    browser_binding: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    state: Mapped[TransactionState] = mapped_column(
        Enum(TransactionState, native_enum=False, length=10)
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    # The sign-in that satisfied this request: its auth_time, acr and amr go into the code.
    browser_session_id: Mapped[str | None] = mapped_column(ForeignKey("browser_session.id"))
    granted_scope: Mapped[str | None] = mapped_column(String(1000))
    error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuthorizationCode(Base):
    __tablename__ = "authorization_code"
    # Nonce reuse by a client is refused (OIDC Core §15.5.2), so it is looked up by index.
    __table_args__ = (Index("ix_authorization_code_client_nonce", "client_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(1000))
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    auth_time: Mapped[datetime]
    acr: Mapped[str] = mapped_column(String(8))
    amr: Mapped[list[str]] = mapped_column(JSON)
    # The provider session this code came from (OIDC Back-Channel Logout §2.1 `sid`).
    sid: Mapped[str | None] = mapped_column(String(43), index=True)
    # Claims the portal asked to receive in the ID token itself (OIDC Core §5.5).
    id_token_claims: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    consumed_at: Mapped[datetime | None]
