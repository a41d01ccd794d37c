"""Signing keys: the private half sealed with the key-encryption key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.models.base import Base


class SigningKey(Base):
    """One key of one algorithm. It is published from creation, signs from ``activates_at``
    until a newer key of its algorithm activates, and is published until the tokens it signed
    have expired (``idp.keys.store.lifecycle``)."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(10), index=True)
    public_jwk: Mapped[dict[str, str]] = mapped_column(JSON)
    private_jwk_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    activates_at: Mapped[datetime]
