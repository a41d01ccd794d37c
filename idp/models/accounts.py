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
    # None until the citizen activates the account, and again after an officer's reset: an
    # account without a password cannot sign in.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # When the citizen last chose a new password; None: the one the account was created with.
    password_changed_at: Mapped[datetime | None]
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # RFC 6238 time step of the last accepted code; a code of that step or earlier is refused.
    totp_last_step: Mapped[int | None]
    # An authenticator being set up: its secret, sealed, until confirmed with a first code.
    totp_pending_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_pending_expires_at: Mapped[datetime | None]
    identity_level: Mapped[int] = mapped_column(default=1)
    # The language the citizen's notices are written in (the pages' language at activation).
    language: Mapped[str] = mapped_column(String(2), default="vi", server_default="vi")
    # WebAuthn L3 §5.4.3 user.id of the account's passkeys: random, so it says nothing about
    # the citizen (§14.6.1); made with the first passkey.
    passkey_user_handle: Mapped[bytes | None] = mapped_column(LargeBinary(64), unique=True)
    created_at: Mapped[datetime]

    citizen: Mapped[Citizen] = relationship(lazy="joined")


class ActivationRequest(Base):
    """One request for an activation code, from the browser holding the handle whose SHA-256 is
    ``id``. A request whose details did not match the registry (or whose citizen is already
    active) has no code and no ``citizen_pk``, and fails at the code step like a wrong code."""

    __tablename__ = "activation_request"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_pk: Mapped[int | None] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    # HMAC-SHA256 of the code under a key derived from IDP_SECRET_KEY, bound to ``id``.
    code_digest: Mapped[str | None] = mapped_column(String(64))
    # Where the page says the code went, already masked (``09•••••123``).
    masked_contact: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # pending | confirmed | done | replaced
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


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
    # Shown to the citizen among their sessions (accounts/devices): browser and OS family, and
    # the client's network (IPv4 /24, IPv6 /48), never the full address or User-Agent.
    browser: Mapped[str] = mapped_column(String(100), default="")
    network: Mapped[str] = mapped_column(String(50), default="")
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the absolute lifetime
    ended_at: Mapped[datetime | None]
