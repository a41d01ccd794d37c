"""E-ID accounts that citizens activate on top of their registry record, and browser sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.models.base import Base
from idp.models.population import Citizen


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_pk: Mapped[int] = mapped_column(ForeignKey("citizen.id"), unique=True)
    # Random, stable, never derived from the citizen-ID number: the root of every `sub`.
    subject_key: Mapped[str] = mapped_column(String(43), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    # When the citizen last chose a new password; None: the one the account was created with.
    password_changed_at: Mapped[datetime | None]
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # RFC 6238 time step of the last accepted code; a code of that step or earlier is refused.
    totp_last_step: Mapped[int | None]
    # An authenticator being set up: its secret, sealed, until confirmed with a first code.
    totp_pending_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_pending_expires_at: Mapped[datetime | None]
    identity_level: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]

    citizen: Mapped[Citizen] = relationship(lazy="joined")


class RecoveryCode(Base):
    """A single-use recovery code (``authn/recovery_codes``), kept as a keyed digest."""

    __tablename__ = "recovery_code"
    # The digest is looked up per account: the constraint is the index of that lookup.
    __table_args__ = (UniqueConstraint("account_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class BrowserSession(Base):
    """A signed-in browser. The cookie holds only ``id``; everything else stays here."""

    __tablename__ = "browser_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie value
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    # The session's public identifier, given to portals as the `sid` claim; random, unrelated to
    # the cookie token.
    sid: Mapped[str] = mapped_column(String(43), unique=True)
    auth_time: Mapped[datetime]
    acr: Mapped[str] = mapped_column(String(8))
    amr: Mapped[list[str]] = mapped_column(JSON)
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the absolute lifetime
    ended_at: Mapped[datetime | None]
