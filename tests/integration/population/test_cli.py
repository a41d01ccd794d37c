"""`idp population …` commands, on every database.

The group is registered on the `idp` command rather than on ``app.cli``, so the tests invoke it
directly; the runner hands it the test app.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from idp.extensions import db
from idp.models.population import Citizen
from idp.population.cli import population
from idp.population.records import CitizenRecord, to_document
from idp.population.registry import find_by_citizen_id, list_citizens
from idp.population.seed import generate_records, seed


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(population, list(args))


def citizens() -> int:
    return db.session.scalar(select(func.count()).select_from(Citizen)) or 0


def some(count: int, seed_value: int = 1) -> list[CitizenRecord]:
    return list(itertools.islice(generate_records(seed_value), count))


def test_seed_reports_what_it_added(app_context: Flask) -> None:
    result = run(app_context, "seed", "--count", "40", "--seed", "9")

    assert result.exit_code == 0, result.output
    assert "Added 40 citizens" in result.output
    assert "(seed 9)" in result.output
    assert citizens() == 40
    assert {c.citizen_id for c in list_citizens(100)} == {r.citizen_id for r in some(40, 9)}


def test_seed_needs_a_count(app_context: Flask) -> None:
    assert run(app_context, "seed").exit_code == 2
    assert run(app_context, "seed", "--count", "0").exit_code == 2


def test_import_lists_the_errors_and_imports_nothing(app_context: Flask, tmp_path: Path) -> None:
    good, bad = some(2)
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps(to_document(good))
        + "\n"
        + json.dumps({**to_document(bad), "gender": "f"})
        + "\n"
    )

    result = run(app_context, "import", str(path))

    assert result.exit_code == 1
    assert "line 2: gender: must be one of: male, female" in result.stderr
    assert "Error: nothing imported: 1 of 2 lines are invalid" in result.stderr
    assert citizens() == 0


def test_import_with_skip_invalid(app_context: Flask, tmp_path: Path) -> None:
    good, bad = some(2)
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(to_document(good)) + "\n{oops\n" + json.dumps(to_document(bad)))
    rejects = tmp_path / "rejects.jsonl"

    result = run(app_context, "import", str(path), "--skip-invalid", str(rejects))

    assert result.exit_code == 0, result.output
    assert "line 2: (json): Expecting property name enclosed in double quotes" in result.stderr
    assert "Imported 2 citizens (2 new, 0 updated)." in result.stdout
    assert f"Rejected 1 invalid line, copied to {rejects}." in result.stdout
    assert rejects.read_text() == "{oops\n"

    again = run(app_context, "import", str(path), "--skip-invalid", str(rejects))
    assert "Imported 2 citizens (0 new, 2 updated)." in again.stdout
    assert citizens() == 2


def test_import_of_a_missing_file(app_context: Flask, tmp_path: Path) -> None:
    result = run(app_context, "import", str(tmp_path / "absent.jsonl"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_show_as_json_is_the_import_format(app_context: Flask) -> None:
    seed(3, 2)
    record = some(3, 2)[1]

    result = run(app_context, "show", record.citizen_id, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == to_document(record)


def test_show_for_people(app_context: Flask) -> None:
    record = next(r for r in generate_records(2) if r.driving_licenses and r.health_insurance)
    seed_until = next(i for i, r in enumerate(generate_records(2)) if r == record) + 1
    seed(seed_until, 2)
    citizen = find_by_citizen_id(record.citizen_id)
    assert citizen is not None

    result = run(app_context, "show", record.citizen_id)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Citizen", "ID", record.citizen_id]
    assert f"Name             {citizen.full_name}" in lines
    assert "Driving licences" in lines
    header = lines[lines.index("Driving licences") + 1]
    assert header.split() == ["NUMBER", "CLASS", "ISSUED", "ON", "EXPIRES", "ON", "STATUS"]
    assert record.driving_licenses[0].number in result.stdout


def test_show_of_an_unknown_or_malformed_number(app_context: Flask) -> None:
    unknown = run(app_context, "show", "001190000000")
    assert unknown.exit_code == 1
    assert "no citizen with number 001190000000 is registered" in unknown.stderr

    malformed = run(app_context, "show", "12345")
    assert malformed.exit_code == 1
    assert "a citizen-ID number is 12 digits" in malformed.stderr


def test_list_as_a_table_and_in_pages(app_context: Flask) -> None:
    seed(5, 4)
    numbers = sorted(r.citizen_id for r in some(5, 4))

    result = run(app_context, "list", "--limit", "3")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CITIZEN", "ID", "NAME", "BIRTH", "DATE", "GENDER", "REGION"]
    assert [row.split()[0] for row in lines[1:4]] == numbers[:3]
    assert lines[-1] == f"Next page: idp population list --limit 3 --after {numbers[2]}"

    rest = run(app_context, "list", "--limit", "3", "--after", numbers[2])
    assert [row.split()[0] for row in rest.stdout.splitlines()[1:]] == numbers[3:]


def test_list_as_json(app_context: Flask) -> None:
    seed(4, 6)
    result = run(app_context, "list", "--json")

    assert result.exit_code == 0, result.output
    documents = json.loads(result.stdout)
    assert [d["citizen_id"] for d in documents] == sorted(r.citizen_id for r in some(4, 6))
    assert documents[0].keys() == to_document(some(1, 6)[0]).keys()


def test_list_of_an_empty_registry(app_context: Flask) -> None:
    assert run(app_context, "list").stdout == "No citizens.\n"
    assert json.loads(run(app_context, "list", "--json").stdout) == []
