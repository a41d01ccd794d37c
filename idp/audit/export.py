"""Exporting the audit ledger as JSON Lines (`idp audit export`).

Each line is an entry's document (``ledger.Entry.document``) with its ``hash``: without the
``hash`` member, its RFC 8785 serialisation hashes to ``hash``, and ``prev`` is the ``hash`` of
the line before it in an unfiltered export, so an auditor can check an export with no access
to the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from typing import Any

from sqlalchemy import select

from idp.audit.ledger import citizen_digest
from idp.audit.verify import ENTRY_COLUMNS, entry_of, snapshot, stream
from idp.models import AuditEntry


def export_entries(
    *,
    citizen_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """The entries in order: only the citizen's (by index on their digest), from ``since``
    (included) to ``until`` (excluded)."""
    query = select(*ENTRY_COLUMNS).order_by(AuditEntry.seq)
    if citizen_id is not None:
        query = query.where(AuditEntry.citizen_digest == citizen_digest(citizen_id))
    if since is not None:
        query = query.where(AuditEntry.recorded_at >= since)
    if until is not None:
        query = query.where(AuditEntry.recorded_at < until)
    with snapshot() as connection, closing(stream(connection, query)) as batches:
        for batch in batches:
            for row in batch:
                entry, entry_hash = entry_of(row)
                yield {**entry.document(), "hash": entry_hash}
