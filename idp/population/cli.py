"""`idp population …` commands (DESIGN.md §3, Command line).

An administrator's tool: it shows citizen-ID numbers on the terminal, which is its purpose, and
never hands them to the logging module. ``seed`` and ``import`` return their results, which
``idp/cli.py`` records in the audit ledger (the registry knows nothing of it, DESIGN.md §2).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

import click
from flask.cli import AppGroup

from idp.models.population import Citizen
from idp.population.citizen_id import is_well_formed
from idp.population.importer import ImportRejected, ImportResult, ValidationReport, import_file
from idp.population.registry import as_document, find_by_citizen_id, list_citizens, record_of
from idp.population.seed import SeedResult, seed

population = AppGroup("population", help="The population registry: seed, import, show, list.")


@population.command("seed")
@click.option("--count", type=click.IntRange(min=1), required=True, help="Citizens to add.")
@click.option(
    "--seed",
    "seed_value",
    type=click.IntRange(min=0),
    help="Makes the run repeatable: the same seed gives the same citizens. Default: random.",
)
def seed_command(count: int, seed_value: int | None) -> SeedResult:
    """Add generated sandbox citizens, with valid citizen-ID numbers and linked records."""
    if seed_value is None:
        seed_value = secrets.randbelow(2**31)
    started = time.perf_counter()
    with click.progressbar(length=count, label="Seeding citizens") as bar:
        result = seed(count, seed_value, progress=bar.update)
    elapsed = time.perf_counter() - started
    click.echo(f"Added {_count(result.created, 'citizen')} in {elapsed:.1f} s (seed {seed_value}).")
    if result.renumbered:
        click.echo(
            f"{result.renumbered} generated numbers were already registered and were replaced."
        )
    return result


@population.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid",
    "rejects",
    metavar="REJECTS_FILE",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Import the valid lines and copy the invalid ones to REJECTS_FILE.",
)
def import_command(file: Path, rejects: Path | None) -> ImportResult:
    """Import citizens from FILE, in JSON Lines (docs/population-format.md).

    Every line is checked first; if one is invalid, nothing is imported and the errors are
    listed. A citizen already registered under the same number is updated, and their linked
    records replaced.
    """
    try:
        result = import_file(file, rejects=rejects)
    except ImportRejected as rejected:
        _echo_errors(rejected.report)
        raise click.ClickException(
            f"nothing imported: {rejected.report.invalid_lines} of {rejected.report.lines} "
            "lines are invalid"
        ) from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    report = result.report
    if report.invalid_lines:
        _echo_errors(report)
    click.echo(
        f"Imported {_count(result.created + result.updated, 'citizen')} "
        f"({result.created} new, {result.updated} updated)."
    )
    if rejects is not None:
        click.echo(f"Rejected {_count(report.invalid_lines, 'invalid line')}, copied to {rejects}.")
    return result


def _echo_errors(report: ValidationReport) -> None:
    for error in report.errors:
        click.echo(str(error), err=True)
    if report.unreported:
        click.echo(f"… and {report.unreported} more errors", err=True)


@population.command("show")
@click.argument("citizen_id")
@click.option("--json", "as_json", is_flag=True, help="Print the record in the import format.")
def show_command(citizen_id: str, as_json: bool) -> None:
    """Show the citizen with the 12-digit number CITIZEN_ID and their linked records."""
    if not is_well_formed(citizen_id):
        raise click.ClickException("a citizen-ID number is 12 digits")
    citizen = find_by_citizen_id(citizen_id)
    if citizen is None:
        raise click.ClickException(f"no citizen with number {citizen_id} is registered")
    if as_json:
        click.echo(json.dumps(as_document(citizen), ensure_ascii=False, indent=2))
    else:
        click.echo(_describe(citizen))


@population.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--after", metavar="CITIZEN_ID", help="Start after this number (for the next page).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of records.")
def list_command(limit: int, after: str | None, as_json: bool) -> None:
    """List citizens in order of number."""
    citizens = list_citizens(limit, after=after)
    if as_json:
        documents = [as_document(citizen) for citizen in citizens]
        click.echo(json.dumps(documents, ensure_ascii=False, indent=2))
        return
    if not citizens:
        click.echo("No citizens.")
        return
    rows = [
        (c.citizen_id, c.full_name, c.birth_date.isoformat(), c.gender, c.region) for c in citizens
    ]
    headers = ("CITIZEN ID", "NAME", "BIRTH DATE", "GENDER", "REGION")
    click.echo(_table(headers, rows, indent=""))
    if len(citizens) == limit:
        click.echo(f"\nNext page: idp population list --limit {limit} --after {rows[-1][0]}")


def _describe(citizen: Citizen) -> str:
    record = record_of(citizen)
    address = ", ".join((record.street_address, record.locality, record.region, record.country))
    lines = [
        _pairs(
            (
                ("Citizen ID", record.citizen_id),
                ("Name", citizen.full_name),
                ("Birth date", record.birth_date.isoformat()),
                ("Gender", record.gender),
                ("Nationality", record.nationality),
                ("Place of origin", record.place_of_origin),
                ("Address", address),
                ("Phone", record.phone or "—"),
                ("Email", record.email or "—"),
                ("Updated", citizen.updated_at.isoformat(timespec="seconds")),
            )
        )
    ]
    health = record.health_insurance
    lines.append("\nHealth insurance")
    if health is None:
        lines.append("  none")
    else:
        lines.append(
            _table(
                ("NUMBER", "VALID FROM", "VALID UNTIL", "REGISTERED FACILITY"),
                [
                    (
                        health.number,
                        health.valid_from.isoformat(),
                        health.valid_until.isoformat(),
                        health.registered_facility,
                    )
                ],
            )
        )
    social = record.social_insurance
    lines.append("\nSocial insurance")
    lines.append(f"  {social.number}" if social is not None else "  none")
    sections: Sequence[tuple[str, Sequence[str], list[tuple[str, ...]]]] = (
        (
            "Driving licences",
            ("NUMBER", "CLASS", "ISSUED ON", "EXPIRES ON", "STATUS"),
            [
                (
                    item.number,
                    item.license_class,
                    item.issued_on.isoformat(),
                    item.expires_on.isoformat() if item.expires_on else "—",
                    item.status,
                )
                for item in record.driving_licenses
            ],
        ),
        (
            "Vehicles",
            ("PLATE", "TYPE", "BRAND", "REGISTERED ON"),
            [
                (item.plate, item.vehicle_type, item.brand, item.registered_on.isoformat())
                for item in record.vehicles
            ],
        ),
        (
            "Education",
            ("YEAR", "CREDENTIAL", "INSTITUTION"),
            [(str(item.year), item.credential, item.institution) for item in record.education],
        ),
        (
            "Vaccinations",
            ("DATE", "VACCINE", "DOSE"),
            [
                (item.given_on.isoformat(), item.vaccine, str(item.dose))
                for item in record.vaccinations
            ],
        ),
    )
    for title, headers, rows in sections:
        lines.append(f"\n{title}")
        lines.append(_table(headers, rows) if rows else "  none")
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _pairs(pairs: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in pairs)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in pairs)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    """Columns padded to their widest cell."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    return "\n".join(
        indent
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    )
