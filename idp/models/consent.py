"""What each citizen has allowed each portal to receive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.models.base import Base


class Consent(Base):
    __tablename__ = "consent"
    __table_args__ = (UniqueConstraint("account_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # The purpose and legal basis of each granted scope as the citizen saw them on the page.
    purposes: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    granted_at: Mapped[datetime]  # the first grant since the last revocation
    updated_at: Mapped[datetime]  # the last change of scopes
    # Revoking empties ``scopes`` and revokes every token issued to the portal for the citizen.
    revoked_at: Mapped[datetime | None]
    # Release notices (consent/releases): the scopes the citizen has been told this portal
    # received, and when they were last told of a sensitive one.
    notified_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    sensitive_notified_at: Mapped[datetime | None]
