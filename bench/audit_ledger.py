"""Benchmark of the audit ledger: `idp audit verify` over a large chain, and concurrent writers.

    IDP_DATABASE_URL=postgresql+psycopg://…/scratch python bench/audit_ledger.py \
        --entries 1000000 --writers 4 --per-writer 500

The database is upgraded and its ledger EMPTIED first: never point this at a real one. The
chain is filled in bulk (the same canonical form and hashes as ``record``, without its lock),
then verified as `idp audit verify` does; then ``--writers`` processes append ``--per-writer``
entries each through ``record`` at once, and the chain is verified again. Results: README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert

from idp import create_app
from idp.audit.events import Event
from idp.audit.ledger import GENESIS, HEAD_ID, Entry, canonical_details, record
from idp.audit.verify import verify_ledger
from idp.database import upgrade_to_latest
from idp.extensions import db
from idp.models import AuditEntry, AuditHead

BATCH = 10_000
CLAIMS = ["address", "birthdate", "citizen_id", "family_name", "given_name", "name", "sub"]


def fill(count: int) -> float:
    """Write a valid chain of ``count`` release entries; return the seconds it took."""
    started = time.perf_counter()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    prev = GENESIS
    details = canonical_details(
        {"claims": CLAIMS, "scopes": ["openid", "profile"], "access_token_jti": "x" * 32}
    )
    with db.engine.begin() as connection:
        connection.execute(delete(AuditEntry))
        connection.execute(delete(AuditHead))
        rows: list[dict[str, Any]] = []
        for seq in range(1, count + 1):
            entry = Entry(
                seq,
                at + timedelta(milliseconds=seq),
                Event.CLAIMS_RELEASE_USERINFO.value,
                seq % 50_000,
                f"{seq % 50_000:064x}",
                "portal-0123456789",
                details,
                prev,
            )
            prev = entry.digest()
            rows.append(
                {
                    "seq": seq,
                    "recorded_at": entry.recorded_at,
                    "event": entry.event,
                    "account_id": entry.account_id,
                    "citizen_digest": entry.citizen,
                    "client_id": entry.client_id,
                    "details": details,
                    "prev_hash": entry.prev,
                    "entry_hash": prev,
                }
            )
            if len(rows) == BATCH:
                connection.execute(insert(AuditEntry), rows)
                rows.clear()
        if rows:
            connection.execute(insert(AuditEntry), rows)
        connection.execute(insert(AuditHead).values(id=HEAD_ID, seq=count, entry_hash=prev))
    return time.perf_counter() - started


def verify(label: str) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    result = verify_ledger()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label}: verified {result.entries} entries in {elapsed:.1f} s "
        f"({result.entries / elapsed:,.0f}/s; {cpu:.1f} s of this process's CPU), "
        f"intact={result.intact}, peak RSS {peak:.0f} MiB"
    )


def _writer(number: int, count: int, barrier: Any) -> None:
    app = create_app()
    with app.app_context():
        barrier.wait()
        for n in range(count):
            record(Event.CONSENT_GIVEN, client_id=f"writer-{number}", details={"n": n})


def concurrent_writers(writers: int, per_writer: int) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers + 1)
    processes = [
        context.Process(target=_writer, args=(n, per_writer, barrier)) for n in range(writers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    total = writers * per_writer
    print(
        f"{writers} processes appended {total} entries through record() in {elapsed:.1f} s "
        f"({total / elapsed:,.0f}/s); exit codes {[p.exitcode for p in processes]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--per-writer", type=int, default=500)
    parser.add_argument("--no-fill", action="store_true", help="Keep the chain already there.")
    options = parser.parse_args()
    app = create_app()
    with app.app_context():
        upgrade_to_latest()
        print(f"database: {db.engine.dialect.name}")
        if not options.no_fill:
            print(f"filled {options.entries} entries in {fill(options.entries):.1f} s")
        verify("before the concurrent writers")
    concurrent_writers(options.writers, options.per_writer)
    with app.app_context():
        verify("after the concurrent writers")


if __name__ == "__main__":
    main()
