"""Import of a JSON Lines file of citizen records (docs/population-format.md).

Two passes over the file, one line at a time: the first validates every line and writes nothing;
the second writes in batches, adding new citizens and updating, by number, those already
registered. If any line is bad nothing is imported, unless the caller asked to skip bad lines,
which are then copied, unchanged, to a rejects file to be fixed and imported again.

Each batch is committed on its own, so memory stays flat for any size of file. Should the database
fail part-way, the batches before stay written; importing the same file again completes the work,
because a citizen already registered is updated, never duplicated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from idp.extensions import db
from idp.population.records import CitizenRecord, FieldError, InvalidRecord, parse_record
from idp.population.registry import upsert

BATCH_SIZE: Final = 1000
# Errors kept for the report; a file that is wrong throughout still counts all of them.
MAX_REPORTED_ERRORS: Final = 1000
SYNTAX: Final = "(json)"


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass(slots=True)
class ValidationReport:
    """What the validating pass found: the first errors, and how many lines and errors in all."""

    lines: int = 0
    invalid_lines: int = 0
    error_count: int = 0
    errors: list[LineError] = field(default_factory=list)

    def add(self, line: int, errors: tuple[FieldError, ...]) -> None:
        self.invalid_lines += 1
        self.error_count += len(errors)
        room = MAX_REPORTED_ERRORS - len(self.errors)
        self.errors.extend(LineError(line, e.field, e.reason) for e in errors[: max(room, 0)])

    @property
    def unreported(self) -> int:
        return self.error_count - len(self.errors)


class ImportRejected(Exception):  # noqa: N818 - a refusal, not a failure of the program
    """The file has bad lines and nothing was imported; ``report`` says which and why."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(f"{report.invalid_lines} of {report.lines} lines are invalid")
        self.report = report


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int
    report: ValidationReport


def import_file(
    path: Path,
    *,
    rejects: Path | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Import the JSON Lines file at ``path``.

    With ``rejects`` set, bad lines are written there (the file is created, empty when all lines
    are good) and the rest are imported; without it, a bad line raises :class:`ImportRejected`
    before anything is written. ``progress`` is called after each batch with the number of
    citizens it wrote.
    """
    if rejects is not None and rejects.resolve() == path.resolve():
        raise ValueError("the rejects file must not be the file being imported")
    report, bad_lines = _validate(path, rejects)
    if bad_lines and rejects is None:
        raise ImportRejected(report)

    created = updated = 0
    batch: list[CitizenRecord] = []

    def write() -> None:
        nonlocal created, updated
        counts = upsert(batch)
        db.session.commit()
        created += counts.created
        updated += counts.updated
        if progress is not None:
            progress(len(batch))
        batch.clear()

    with path.open("rb") as handle:
        for number, raw in _lines(handle):
            if number in bad_lines or not raw.strip():
                continue
            batch.append(parse_record(json.loads(raw)))
            if len(batch) >= batch_size:
                write()
    if batch:
        write()
    return ImportResult(created=created, updated=updated, report=report)


def validate_file(path: Path) -> ValidationReport:
    """Check every line of the file at ``path``, writing nothing."""
    return _validate(path, None)[0]


def _validate(path: Path, rejects: Path | None) -> tuple[ValidationReport, set[int]]:
    report = ValidationReport()
    bad_lines: set[int] = set()
    # Where each number was first seen, to refuse a second record for the same citizen.
    first_seen: dict[int, int] = {}
    with (
        path.open("rb") as handle,
        rejects.open("wb") if rejects is not None else nullcontext() as rejected,
    ):
        for number, raw in _lines(handle):
            if not raw.strip():
                continue
            report.lines += 1
            errors = _check_line(raw, number, first_seen)
            if errors:
                report.add(number, errors)
                bad_lines.add(number)
                if rejected is not None:
                    rejected.write(raw if raw.endswith(b"\n") else raw + b"\n")
    return report, bad_lines


def _check_line(raw: bytes, number: int, first_seen: dict[int, int]) -> tuple[FieldError, ...]:
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as error:
        return (FieldError(SYNTAX, f"not valid UTF-8 at byte {error.start + 1}"),)
    try:
        document = json.loads(
            text, object_pairs_hook=_refuse_duplicate_keys, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as error:
        return (FieldError(SYNTAX, f"{error.msg} at column {error.colno}"),)
    except ValueError as error:
        return (FieldError(SYNTAX, str(error)),)
    try:
        record = parse_record(document)
    except InvalidRecord as invalid:
        return invalid.errors
    key = int(record.citizen_id)
    if key in first_seen:
        return (FieldError("citizen_id", f"the same number is on line {first_seen[key]}"),)
    first_seen[key] = number
    return ()


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    document: dict[str, object] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"the key {json.dumps(key)} appears twice in one object")
        document[key] = value
    return document


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Each line with its number from 1, without a byte-order mark on the first."""
    for number, raw in enumerate(handle, start=1):
        yield number, raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw
