"""Writing the audit ledger: one hash chain of entries, linear under any number of writers.

Call :func:`record` anywhere a request or command has something to account for::

    record(Event.SIGNIN_FAILURE, citizen_id=typed, details={"method": "password", "reason": r})

It writes and commits the entry in its own short transaction, on its own connection: it never
commits, flushes or rolls back the caller's session, and the entry stays even if the caller's
transaction later fails. So call it *after* the change it describes is committed. (On SQLite,
when the caller's transaction is already writing, the entry is written in that transaction,
since SQLite has one writer at a time; it then commits or rolls back with the caller's work.)
If the entry cannot be written, :func:`record` raises: an action the ledger cannot account for
fails rather than going unrecorded.

**The chain.** Entry ``n`` holds ``prev``, the hash of entry ``n - 1`` (64 zeros for entry 1), and
its own hash, the SHA-256 of its *canonical form*: the RFC 8785 (JCS) serialisation, UTF-8, of ::

    {"account_id": int|null, "at": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "citizen": hex|null,
     "client_id": str|null, "details": {...}, "event": str, "prev": hex, "seq": n}

With the value types allowed here (ASCII keys, strings, integers, booleans, lists of strings)
that is ``json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``, so
an auditor can check an export line in any language.

**Linear under concurrency.** A writer first increments the one row of ``audit_head`` with an
``UPDATE … RETURNING``: the statement that takes the lock also reads the previous hash, so two
writers can never read the same head (PostgreSQL row lock; SQLite's single write lock). The
entry's primary key is its number, so a duplicate could not be stored anyway. A conflict (SQLite
busy, a PostgreSQL serialization failure, two writers creating the head of an empty ledger) is
retried.

**Citizens.** An entry names a citizen only by ``citizen``: HMAC-SHA-256 of the citizen-ID number
under a key derived (HKDF) from ``IDP_SUBJECT_SALT``. Without the key, the small space of numbers
cannot be searched, so the ledger can be handed to auditors; with it, `idp audit export --citizen`
finds a citizen's entries by index.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from idp import clock
from idp.audit.events import Event
from idp.extensions import db
from idp.models import Account, AuditEntry, AuditHead

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # the ``prev`` of entry 1
HEAD_ID = 1
WRITE_ATTEMPTS = 5
CITIZEN_DIGEST_INFO = b"citizen-idp audit citizen-id digest v1"

Detail = str | int | bool | list[str]
Details = Mapping[str, Detail]

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CITIZEN_ID = re.compile(r"[0-9]{12}")
MAX_TEXT = 512
MAX_ITEMS = 100


class LedgerError(RuntimeError):
    """The ledger cannot be appended to: its head row is gone although it holds entries."""


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry as it is hashed; ``details`` is its canonical JSON text, as stored."""

    seq: int
    recorded_at: datetime
    event: str
    account_id: int | None
    citizen: str | None
    client_id: str | None
    details: str
    prev: str

    def canonical(self) -> bytes:
        """The RFC 8785 form of :meth:`document` (keys in order, no spaces), built directly so
        that the stored ``details`` text is hashed exactly as stored."""
        return (
            f'{{"account_id":{_json(self.account_id)},"at":{_json(timestamp(self.recorded_at))},'
            f'"citizen":{_json(self.citizen)},"client_id":{_json(self.client_id)},'
            f'"details":{self.details},"event":{_json(self.event)},"prev":{_json(self.prev)},'
            f'"seq":{self.seq}}}'
        ).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    def document(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": timestamp(self.recorded_at),
            "event": self.event,
            "account_id": self.account_id,
            "citizen": self.citizen,
            "client_id": self.client_id,
            "details": json.loads(self.details),
            "prev": self.prev,
        }


_json = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for the millions of calls


def timestamp(moment: datetime) -> str:
    """UTC with microseconds, as hashed: ``2026-11-27T09:00:00.000000Z``."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_details(details: Details | None) -> str:
    """The canonical JSON text of ``details``; raise ValueError for anything the ledger must not
    hold or cannot hash canonically (a float, a nested object, a long text, a citizen-ID
    number)."""
    checked: dict[str, Detail] = {}
    for key, value in (details or {}).items():
        if not _KEY.fullmatch(key):
            raise ValueError(f"audit detail name {key!r} is not a lower-case identifier")
        if isinstance(value, list):
            if len(value) > MAX_ITEMS:
                raise ValueError(f"audit detail {key!r} has more than {MAX_ITEMS} items")
            for item in value:
                _check_text(key, item)
        elif isinstance(value, str):
            _check_text(key, value)
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int):
            if abs(value) >= 2**53:  # RFC 8785 §3.2.2.3: numbers are IEEE 754 doubles
                raise ValueError(f"audit detail {key!r} is too large")
        else:
            raise ValueError(f"audit detail {key!r} must be text, a whole number or a list")
        checked[key] = value
    return json.dumps(checked, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _check_text(key: str, value: object) -> None:
    if not isinstance(value, str):
        raise ValueError(f"audit detail {key!r} must hold text")
    if len(value) > MAX_TEXT:
        raise ValueError(f"audit detail {key!r} is longer than {MAX_TEXT} characters")
    if _CITIZEN_ID.fullmatch(value):
        raise ValueError(f"audit detail {key!r} looks like a citizen-ID number: use citizen_id")


def citizen_digest(citizen_id: str) -> str:
    """The keyed digest that stands for a citizen-ID number in the ledger."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CITIZEN_DIGEST_INFO).derive(
        current_app.config["SUBJECT_SALT"].encode()
    )
    return hmac.new(key, citizen_id.encode(), hashlib.sha256).hexdigest()


def record(
    event: Event,
    *,
    account_id: int | None = None,
    citizen_id: str | None = None,
    client_id: str | None = None,
    details: Details | None = None,
) -> None:
    """Append an entry for ``event`` and commit it.

    ``citizen_id`` is the citizen-ID number (digested here, never stored); without it, the
    citizen is found from ``account_id``. ``details`` are the event's keys (``events.Event``).
    """
    text = canonical_details(details)
    number = citizen_id if citizen_id is not None else _citizen_number(account_id)
    digest = citizen_digest(number) if number is not None else None

    def append(connection: Connection) -> None:
        _append(connection, Event(event).value, account_id, digest, client_id, text)

    if _caller_is_writing():
        append(db.session.connection())
        return
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with db.engine.begin() as connection:
                append(connection)
            return
        except DBAPIError as error:
            if attempt == WRITE_ATTEMPTS or not _is_conflict(error):
                raise
            log.info("audit entry conflicted with another writer; attempt %d", attempt + 1)
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 (jitter, not a secret)


def _append(
    connection: Connection,
    event: str,
    account_id: int | None,
    citizen: str | None,
    client_id: str | None,
    details: str,
) -> None:
    seq, prev = _take_head(connection)
    entry = Entry(seq, clock.now(), event, account_id, citizen, client_id, details, prev)
    entry_hash = entry.digest()
    connection.execute(
        insert(AuditEntry).values(
            seq=seq,
            recorded_at=entry.recorded_at,
            event=event,
            account_id=account_id,
            citizen_digest=citizen,
            client_id=client_id,
            details=details,
            prev_hash=prev,
            entry_hash=entry_hash,
        )
    )
    connection.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(entry_hash=entry_hash)
    )


def _take_head(connection: Connection) -> tuple[int, str]:
    """Lock the head and move it on: the number and ``prev`` of the entry to write."""
    increment = (
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.entry_hash)
    )
    head = connection.execute(increment).one_or_none()
    if head is None and connection.scalar(select(AuditEntry.seq).limit(1)) is None:
        # A fresh (or emptied) ledger; two writers creating its head at once conflict and retry.
        connection.execute(insert(AuditHead).values(id=HEAD_ID, seq=1, entry_hash=GENESIS))
        return 1, GENESIS
    if head is None:
        # Entries but no head yet: on PostgreSQL, another writer may have created both after
        # this transaction's first statement began; a new statement sees them.
        head = connection.execute(increment).one_or_none()
    if head is None:
        raise LedgerError("the audit ledger has entries but no head: run `idp audit verify`")
    return head.seq, head.entry_hash


def _citizen_number(account_id: int | None) -> str | None:
    """Read through the caller's session, which sees its own uncommitted account."""
    if account_id is None:
        return None
    with db.session.no_autoflush:
        account = db.session.get(Account, account_id)
        return account.citizen.citizen_id if account is not None else None


def _caller_is_writing() -> bool:
    """Whether the caller's SQLite transaction holds the database's write lock, which a second
    connection would wait for in vain."""
    if db.engine.dialect.name != "sqlite" or not db.session().in_transaction():
        return False
    dbapi_connection = db.session.connection().connection.dbapi_connection
    return bool(getattr(dbapi_connection, "in_transaction", False))


def _is_conflict(error: DBAPIError) -> bool:
    if isinstance(error, IntegrityError):
        return True  # two writers created the head of an empty ledger
    if not isinstance(error, OperationalError):
        return False
    # PostgreSQL: serialization failure, deadlock; SQLite: the busy timeout ran out.
    return getattr(error.orig, "sqlstate", None) in ("40001", "40P01") or (
        "database is locked" in str(error.orig)
    )
