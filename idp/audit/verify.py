"""Checking the audit ledger: walk the chain in order and report the first entry that was
changed, removed, inserted or moved (`idp audit verify`).

The walk streams the entries (a server-side cursor on PostgreSQL) in batches, so it runs in
constant memory, and reads them in one snapshot together with the head, so writers can go on
appending meanwhile. What each check catches, for entry ``n``:

- a number other than ``n``: entries were removed (or one was inserted before the first);
- ``prev`` equal to the hash of entry ``n - 2``: entry ``n - 1`` was inserted (later entries
  renumbered);
- a hash that does not match the entry's canonical form: entry ``n`` was changed, or moved here;
- ``prev`` that is not the hash of entry ``n - 1`` although ``n`` is intact: entry ``n - 1`` was
  changed and its hash recomputed;
- after the last entry, the head (``audit_head``) must name it: entries removed from, or added
  to, the end.

An administrator with write access to the database could rewrite the whole chain from some
entry on, head included; an :class:`Anchor` published elsewhere (`idp audit anchor`) catches
that: the anchored entry must still have the anchored hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Executable, select

from idp.audit.ledger import GENESIS, HEAD_ID, Entry
from idp.extensions import db
from idp.models import AuditEntry, AuditHead

BATCH_SIZE = 10_000
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Anchor:
    """An entry's number and hash, published outside the database to pin the chain."""

    seq: int
    entry_hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.entry_hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        seq, _, entry_hash = text.partition(":")
        if not seq.isdigit() or int(seq) < 1 or not _HASH.fullmatch(entry_hash):
            raise ValueError("an anchor is SEQ:HASH, as `idp audit anchor` prints it")
        return cls(int(seq), entry_hash)


@dataclass(frozen=True, slots=True)
class Break:
    """The first place where the chain is not what was written."""

    seq: int
    kind: Literal["changed", "removed", "inserted"]
    detail: str


@dataclass(frozen=True, slots=True)
class Verification:
    entries: int  # entries checked
    head: Anchor | None
    first_break: Break | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


ENTRY_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.recorded_at,
    AuditEntry.event,
    AuditEntry.account_id,
    AuditEntry.citizen_digest,
    AuditEntry.client_id,
    AuditEntry.details,
    AuditEntry.prev_hash,
    AuditEntry.entry_hash,
)


def entry_of(row: Sequence[Any]) -> tuple[Entry, str]:
    """A row of :data:`ENTRY_COLUMNS` as the hashed entry, and its stored hash."""
    seq, recorded_at, event, account_id, citizen, client_id, details, prev, entry_hash = row
    return Entry(seq, recorded_at, event, account_id, citizen, client_id, details, prev), entry_hash


@contextmanager
def snapshot() -> Iterator[Connection]:
    """A connection that sees the ledger as it was at one moment, however long it reads."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        else:
            connection.exec_driver_sql("BEGIN")  # SQLite: one read transaction, one snapshot
        try:
            yield connection
        finally:
            connection.rollback()


def read_head(connection: Connection) -> Anchor | None:
    row = connection.execute(
        select(AuditHead.seq, AuditHead.entry_hash).where(AuditHead.id == HEAD_ID)
    ).one_or_none()
    return None if row is None else Anchor(row.seq, row.entry_hash)


def stream(
    connection: Connection, query: Executable, batch_size: int = BATCH_SIZE
) -> Generator[list[Sequence[Any]]]:
    """The rows of ``query`` in batches, fetched as they are consumed; close it (``closing``)
    when leaving early, so that the server-side cursor is closed before its transaction ends."""
    result = connection.execution_options(yield_per=batch_size).execute(query)
    try:
        for partition in result.partitions():
            yield list(partition)
    finally:
        result.close()


def current_head() -> Anchor | None:
    """The last entry's number and hash (None for an empty ledger): `idp audit anchor`."""
    with snapshot() as connection:
        return read_head(connection)


def verify_ledger(
    *,
    anchor: Anchor | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Verification:
    """Walk the whole chain; ``progress`` is called with the number of entries of each batch."""
    with snapshot() as connection:
        head = read_head(connection)
        query = select(*ENTRY_COLUMNS).order_by(AuditEntry.seq)
        walk = _Walk(anchor)
        with closing(stream(connection, query, batch_size)) as batches:
            for batch in batches:
                for row in batch:
                    found = walk.check(*entry_of(row))
                    if found is not None:
                        return Verification(walk.checked, head, found)
                if progress is not None:
                    progress(len(batch))
        return Verification(walk.checked, head, walk.check_end(head))


class _Walk:
    """The state of a walk: the last two hashes and the number expected next."""

    def __init__(self, anchor: Anchor | None) -> None:
        self.anchor = anchor
        self.checked = 0
        self.prev = GENESIS
        self.before_prev: str | None = None

    def check(self, entry: Entry, stored_hash: str) -> Break | None:
        seq, expected = entry.seq, self.checked + 1
        if seq < expected:
            return Break(seq, "inserted", f"entry {seq} was inserted before entry {expected}")
        if seq > expected:
            return Break(
                expected,
                "removed",
                f"entry {expected} is missing: the entry after {expected - 1} is {seq}",
            )
        intact = entry.digest() == stored_hash
        if entry.prev != self.prev:
            if entry.prev == self.before_prev:
                return Break(
                    seq - 1,
                    "inserted",
                    f"entry {seq - 1} was inserted: entry {seq} links to the entry before it",
                )
            if not intact:
                return Break(
                    seq,
                    "changed",
                    f"entry {seq} was changed: it matches neither its hash nor the entry before it",
                )
            return Break(
                seq - 1,
                "changed",
                f"entry {seq - 1} was changed: entry {seq} recorded another hash for it",
            )
        if not intact:
            return Break(
                seq,
                "changed",
                f"entry {seq} was changed, or moved here: it does not match its hash",
            )
        anchor = self.anchor
        if anchor is not None and seq == anchor.seq and stored_hash != anchor.entry_hash:
            return Break(
                seq, "changed", f"entry {seq} is not the anchored one: the chain was rewritten"
            )
        self.checked = seq
        self.before_prev, self.prev = self.prev, stored_hash
        return None

    def check_end(self, head: Anchor | None) -> Break | None:
        last = self.checked
        if head is None:
            if last:
                return Break(last, "removed", "the head row of the ledger is missing")
        elif head.seq > last:
            return Break(
                last + 1,
                "removed",
                f"entries {last + 1} to {head.seq} are missing: the head records {head.seq}",
            )
        elif head.seq < last:
            return Break(
                head.seq + 1,
                "inserted",
                f"entry {head.seq + 1} was added after the last one written ({head.seq})",
            )
        elif head.entry_hash != self.prev:
            return Break(last, "changed", f"entry {last} is not the one the head records")
        if self.anchor is not None and self.anchor.seq > last:
            return Break(
                last + 1,
                "removed",
                f"the ledger ends at entry {last}, before the anchored entry {self.anchor.seq}",
            )
        return None
