"""The audit ledger against a real database: tampering of every kind is found at the first bad
entry, concurrent writers (threads and processes) leave one linear chain, and writing an entry
never disturbs the caller's transaction."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, select, text

from idp import clock, create_app
from idp.audit.events import Event
from idp.audit.ledger import Entry, LedgerError, record
from idp.audit.verify import (
    ENTRY_COLUMNS,
    Anchor,
    Break,
    current_head,
    entry_of,
    verify_ledger,
)
from idp.cleanup import purge_expired
from idp.extensions import db
from idp.models import AuditEntry, Citizen, Consent
from tests.factories import make_citizen
from tests.integration.conftest import START

ENTRIES = 10


def write_entries(count: int = ENTRIES) -> None:
    """``count`` entries, a second apart, of a few kinds."""
    with clock.frozen(START) as advance:
        for n in range(count):
            record(
                Event.CONSENT_GIVEN if n % 2 else Event.SIGNIN_FAILURE,
                citizen_id="087084000999",
                client_id="portal",
                details={"scopes": ["openid", "profile"], "n": n},
            )
            advance(1)


def stored(connection: Connection, seq: int) -> Entry:
    row = connection.execute(select(*ENTRY_COLUMNS).where(AuditEntry.seq == seq)).one()
    return entry_of(row)[0]


def rehash(connection: Connection, seq: int) -> None:
    """Recompute an entry's hash after a change, as a careful forger would."""
    connection.execute(
        text("UPDATE audit_entry SET entry_hash = :h WHERE seq = :seq"),
        {"h": stored(connection, seq).digest(), "seq": seq},
    )


def shift_from(connection: Connection, seq: int, by: int) -> None:
    """Renumber the entries from ``seq`` on (in two steps: the primary key is checked per row)."""
    connection.execute(text("UPDATE audit_entry SET seq = seq + 1000 WHERE seq >= :s"), {"s": seq})
    connection.execute(
        text("UPDATE audit_entry SET seq = seq - 1000 + :by WHERE seq >= 1000"), {"by": by}
    )


def forge(connection: Connection, seq: int, prev: str) -> None:
    """Insert a well-formed entry that links to ``prev``."""
    entry = Entry(seq, START, "consent:grant:given", None, None, "forged", "{}", prev)
    connection.execute(
        text(
            "INSERT INTO audit_entry (seq, recorded_at, event, details, client_id, prev_hash,"
            " entry_hash) VALUES (:seq, :at, :event, '{}', 'forged', :prev, :h)"
        ),
        {
            "seq": seq,
            "at": START.replace(tzinfo=None) if connection.dialect.name == "sqlite" else START,
            "event": entry.event,
            "prev": prev,
            "h": entry.digest(),
        },
    )


def hash_of(connection: Connection, seq: int) -> str:
    return str(
        connection.scalar(text("SELECT entry_hash FROM audit_entry WHERE seq = :s"), {"s": seq})
    )


def edit(c: Connection) -> None:
    c.execute(text("UPDATE audit_entry SET details = :d WHERE seq = 5"), {"d": '{"n":99}'})


def edit_and_rehash(c: Connection) -> None:
    edit(c)
    rehash(c, 5)


def edit_time(c: Connection) -> None:
    c.execute(
        text("UPDATE audit_entry SET recorded_at = :at WHERE seq = 5"),
        {"at": (START - timedelta(days=1)).replace(tzinfo=None)},
    )


def delete_middle(c: Connection) -> None:
    c.execute(text("DELETE FROM audit_entry WHERE seq = 5"))


def delete_and_renumber(c: Connection) -> None:
    delete_middle(c)
    shift_from(c, 6, -1)


def delete_first(c: Connection) -> None:
    c.execute(text("DELETE FROM audit_entry WHERE seq = 1"))


def delete_last(c: Connection) -> None:
    c.execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": ENTRIES})


def insert_in_middle(c: Connection) -> None:
    shift_from(c, 5, 1)
    forge(c, 5, prev=hash_of(c, 4))


def append_after_head(c: Connection) -> None:
    forge(c, ENTRIES + 1, prev=hash_of(c, ENTRIES))


def insert_before_first(c: Connection) -> None:
    forge(c, 0, prev="0" * 64)


def swap(c: Connection) -> None:
    c.execute(text("UPDATE audit_entry SET seq = 0 WHERE seq = 5"))
    c.execute(text("UPDATE audit_entry SET seq = 5 WHERE seq = 6"))
    c.execute(text("UPDATE audit_entry SET seq = 6 WHERE seq = 0"))


def swap_contents(c: Connection) -> None:
    """Reorder without renumbering: entries 5 and 6 trade everything but their numbers."""
    columns = (
        "SELECT recorded_at, event, account_id, citizen_digest, client_id, details, prev_hash,"
        " entry_hash FROM audit_entry WHERE seq = :seq"
    )
    five = c.execute(text(columns), {"seq": 5}).one()
    six = c.execute(text(columns), {"seq": 6}).one()
    for seq, row in ((5, six), (6, five)):
        c.execute(
            text(
                "UPDATE audit_entry SET recorded_at = :a, event = :b, account_id = :c,"
                " citizen_digest = :d, client_id = :e, details = :f, prev_hash = :g,"
                " entry_hash = :h WHERE seq = :seq"
            ),
            dict(zip("abcdefgh", row, strict=True), seq=seq),
        )


TAMPERING: list[tuple[Callable[[Connection], None], int, str]] = [
    (edit, 5, "changed"),
    (edit_and_rehash, 5, "changed"),
    (edit_time, 5, "changed"),
    (delete_middle, 5, "removed"),
    (delete_and_renumber, 5, "changed"),
    (delete_first, 1, "removed"),
    (delete_last, ENTRIES, "removed"),
    (insert_in_middle, 5, "inserted"),
    (append_after_head, ENTRIES + 1, "inserted"),
    (insert_before_first, 0, "inserted"),
    (swap, 5, "changed"),
    (swap_contents, 5, "changed"),
]


@pytest.mark.parametrize(
    ("tamper", "first_bad", "kind"),
    [pytest.param(*case, id=case[0].__name__) for case in TAMPERING],
)
def test_tampering_is_reported_at_the_first_bad_entry(
    app_context: Flask, tamper: Callable[[Connection], None], first_bad: int, kind: str
) -> None:
    write_entries()
    assert verify_ledger().intact
    with db.engine.begin() as connection:
        tamper(connection)
    result = verify_ledger()
    assert result.first_break is not None
    assert (result.first_break.seq, result.first_break.kind) == (first_bad, kind), result


def test_an_intact_ledger_verifies_with_its_head(app_context: Flask) -> None:
    assert verify_ledger().intact  # empty
    write_entries()
    result = verify_ledger(batch_size=3)  # several batches
    assert result.intact
    assert result.entries == ENTRIES
    assert result.head == current_head()
    assert result.head is not None
    assert result.head.seq == ENTRIES


def test_an_anchor_catches_a_rewritten_chain(app_context: Flask) -> None:
    write_entries()
    anchor = current_head()
    assert anchor is not None
    with db.engine.begin() as connection:
        # Rewrite entry 8 and everything after it, head included: the chain alone cannot tell.
        edit_entry_8 = "UPDATE audit_entry SET client_id = 'other' WHERE seq = 8"
        connection.execute(text(edit_entry_8))
        for seq in range(8, ENTRIES + 1):
            if seq > 8:
                connection.execute(
                    text("UPDATE audit_entry SET prev_hash = :p WHERE seq = :s"),
                    {"p": hash_of(connection, seq - 1), "s": seq},
                )
            rehash(connection, seq)
        connection.execute(
            text("UPDATE audit_head SET entry_hash = :h"), {"h": hash_of(connection, ENTRIES)}
        )
    assert verify_ledger().intact
    assert verify_ledger(anchor=anchor).first_break == Break(
        ENTRIES, "changed", f"entry {ENTRIES} is not the anchored one: the chain was rewritten"
    )
    beyond = Anchor(ENTRIES + 5, anchor.entry_hash)
    found = verify_ledger(anchor=beyond).first_break
    assert found is not None
    assert (found.seq, found.kind) == (ENTRIES + 1, "removed")


def test_cleanup_never_deletes_entries(app_context: Flask) -> None:
    write_entries()
    with clock.frozen(START + timedelta(days=3650)):
        purge_expired()
    result = verify_ledger()
    assert result.intact
    assert result.entries == ENTRIES


def test_record_never_commits_or_rolls_back_the_callers_work(app_context: Flask) -> None:
    db.session.add(Consent(account_id=1, client_id="portal", scopes=[], granted_at=clock.now()))
    record(Event.CONSENT_GIVEN, client_id="portal", details={"scopes": ["openid"]})
    db.session.rollback()
    assert db.session.scalar(select(Consent)) is None
    assert verify_ledger().entries == 1


def test_record_inside_a_transaction_that_is_writing(app_context: Flask) -> None:
    """On SQLite a second connection would wait for the caller's write lock forever."""
    citizen = make_citizen()
    citizen.given_name = "Bình"
    db.session.flush()  # the caller's transaction now holds a write lock (SQLite)
    record(Event.CREDENTIAL_CHANGED, citizen_id=citizen.citizen_id, details={"action": "added"})
    db.session.commit()
    assert db.session.scalar(select(Citizen.given_name)) == "Bình"
    result = verify_ledger()
    assert result.intact
    assert result.entries == 1


def test_a_ledger_without_its_head_is_not_written_to(app_context: Flask) -> None:
    write_entries()
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_head"))
    with pytest.raises(LedgerError, match="no head"):
        record(Event.CONSENT_GIVEN, client_id="portal")
    assert verify_ledger().first_break == Break(
        ENTRIES, "removed", "the head row of the ledger is missing"
    )


def test_record_refuses_what_the_ledger_must_not_hold(app_context: Flask) -> None:
    with pytest.raises(ValueError, match="citizen-ID number"):
        record(Event.CONSENT_GIVEN, details={"note": "087084000999"})
    assert verify_ledger().entries == 0


WRITERS = 4
PER_WRITER = 25


def test_concurrent_threads_leave_one_linear_chain(app: Flask) -> None:
    barrier = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for n in range(PER_WRITER):
                    record(Event.CONSENT_GIVEN, client_id=f"writer-{number}", details={"n": n})
                db.session.remove()
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    _assert_linear(app)


def _write_from_another_process(environ: dict[str, str], number: int, barrier: Any) -> None:
    app = create_app(environ)
    with app.app_context():
        barrier.wait()
        for n in range(PER_WRITER):
            record(Event.CONSENT_GIVEN, client_id=f"process-{number}", details={"n": n})


def test_concurrent_processes_leave_one_linear_chain(app: Flask, environ: dict[str, str]) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    processes = [
        context.Process(target=_write_from_another_process, args=(environ, n, barrier))
        for n in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * WRITERS
    _assert_linear(app)


def _assert_linear(app: Flask) -> None:
    with app.app_context():
        result = verify_ledger()
        assert result.intact, result
        assert result.entries == WRITERS * PER_WRITER
        writers = db.session.scalars(select(AuditEntry.client_id).distinct()).all()
        assert len(writers) == WRITERS
