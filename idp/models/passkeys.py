"""Passkeys (WebAuthn credentials) and the server-side challenges of their ceremonies."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.models.base import Base


class Passkey(Base):
    """A citizen's WebAuthn credential: its public key, never a secret."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    # WebAuthn L3 §7.1: a credential ID belongs to one account only; at most 1023 bytes.
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key
    # §6.1.1: the last signature counter seen (a 32-bit unsigned number).
    sign_count: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    transports: Mapped[list[str]] = mapped_column(JSON)
    # §6.1.3 authenticator data flags BE and BS: a synced (multi-device) credential and whether
    # it is backed up now.
    backup_eligible: Mapped[bool]
    backed_up: Mapped[bool]
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    # Set when the counter went backwards (a cloned authenticator?); a suspended passkey signs
    # nobody in.
    suspended_at: Mapped[datetime | None]


class ChallengePurpose(enum.StrEnum):
    REGISTER = "register"  # a signed-in citizen adds a passkey
    SIGN_IN = "sign_in"  # a passkey alone, no citizen-ID number typed (user verification)
    SECOND_FACTOR = "second_factor"  # a passkey after the password


class WebAuthnChallenge(Base):
    """A challenge given to a browser (WebAuthn L3 §13.4.3): random, bound to that browser, to
    one purpose and, when signing in, to one authorization; used once, and short-lived."""

    __tablename__ = "webauthn_challenge"

    # SHA-256 of the challenge: the response's client data names it, so it is the lookup key.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[ChallengePurpose] = mapped_column(
        Enum(ChallengePurpose, native_enum=False, length=16)
    )
    browser_binding: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(43))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    # What the options asked of the authenticator, and so what the response must show.
    user_verification: Mapped[str] = mapped_column(String(9))
    expires_at: Mapped[datetime] = mapped_column(index=True)
