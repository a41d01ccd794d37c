"""The audit ledger: append-only entries chained by SHA-256, and the head of the chain.

No foreign keys: an entry outlives the account, portal or session it names, and writing one
never waits for a lock on another table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.models.base import Base


class AuditEntry(Base):
    """One event. ``entry_hash`` is the SHA-256 of the entry's canonical form, which includes
    ``prev_hash``, the ``entry_hash`` of the entry before it (``idp/audit/ledger.py``)."""

    __tablename__ = "audit_entry"
    # A citizen's entries, newest first, by index: `idp audit export --citizen`, the account
    # portal's history.
    __table_args__ = (Index("ix_audit_entry_citizen_digest_seq", "citizen_digest", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(index=True)
    event: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None]
    # HMAC-SHA-256 of the citizen-ID number under a key derived from IDP_SUBJECT_SALT.
    citizen_digest: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON (RFC 8785), as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The one row (``id`` 1) that every writer locks to append: the last entry's number and
    hash. It serialises writers, so the chain stays linear, and tells `idp audit verify` where
    the ledger ends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[str] = mapped_column(String(64))
