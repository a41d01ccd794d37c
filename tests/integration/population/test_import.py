"""Import of JSON Lines files, on every database."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from idp.extensions import db
from idp.models.population import Citizen, Vaccination
from idp.population.importer import MAX_REPORTED_ERRORS, ImportRejected, import_file
from idp.population.records import CitizenRecord, to_document
from idp.population.registry import find_by_citizen_id, record_of
from idp.population.seed import generate_records


def records(count: int, seed: int = 1) -> list[CitizenRecord]:
    return list(itertools.islice(generate_records(seed), count))


def line(record: CitizenRecord, **changes: object) -> str:
    return json.dumps({**to_document(record), **changes}, ensure_ascii=False)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{text}\n" for text in lines), encoding="utf-8")
    return path


def citizens() -> int:
    return db.session.scalar(select(func.count()).select_from(Citizen)) or 0


def rejection(path: Path) -> list[str]:
    with pytest.raises(ImportRejected) as raised:
        import_file(path)
    return [str(error) for error in raised.value.report.errors]


def test_a_good_file_is_imported(app_context: Flask, tmp_path: Path) -> None:
    people = records(25)
    progress: list[int] = []

    result = import_file(
        write(tmp_path / "in.jsonl", [line(r) for r in people]),
        progress=progress.append,
        batch_size=10,
    )

    assert (result.created, result.updated, result.report.invalid_lines) == (25, 0, 0)
    assert progress == [10, 10, 5]
    assert citizens() == 25
    for record in people:
        citizen = find_by_citizen_id(record.citizen_id)
        assert citizen is not None
        assert record_of(citizen) == record


def test_one_bad_line_and_nothing_is_imported(app_context: Flask, tmp_path: Path) -> None:
    people = records(4)
    path = write(
        tmp_path / "in.jsonl",
        [
            line(people[0]),
            line(people[1], birth_date="17/05/1984", gender="x"),
            line(people[2]),
            '{"citizen_id": "087084000999",',
            line(people[3]),
        ],
    )

    assert rejection(path) == [
        "line 2: birth_date: must be a date written YYYY-MM-DD",
        "line 2: gender: must be one of: male, female",
        "line 4: (json): Expecting property name enclosed in double quotes at column 31",
    ]
    assert citizens() == 0


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[1, 2]", "line 1: (record): must be a JSON object"),
        ('{"a": 1, "a": 2}', 'line 1: (json): the key "a" appears twice in one object'),
        ('{"dose": NaN}', "line 1: (json): NaN is not a JSON value"),
        ("{'citizen_id': 1}", "line 1: (json): Expecting property name enclosed in double quotes"),
    ],
)
def test_lines_that_are_not_records(
    app_context: Flask, tmp_path: Path, text: str, error: str
) -> None:
    errors = rejection(write(tmp_path / "in.jsonl", [text]))
    assert len(errors) == 1
    assert errors[0].startswith(error)


def test_invalid_utf8_is_reported_by_line(app_context: Flask, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(line(records(1)[0]).encode() + b"\n" + b'{"family_name": "Nguy\xe1n"}\n')
    assert rejection(path) == ["line 2: (json): not valid UTF-8 at byte 22"]


def test_the_same_number_twice_in_a_file(app_context: Flask, tmp_path: Path) -> None:
    person = records(1)[0]
    path = write(tmp_path / "in.jsonl", [line(person), line(person, given_name="Khác")])
    assert rejection(path) == ["line 2: citizen_id: the same number is on line 1"]


def test_blank_lines_and_a_byte_order_mark_are_ignored(app_context: Flask, tmp_path: Path) -> None:
    first, second = records(2)
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + line(first).encode() + b"\n\n   \n" + line(second).encode()  # no final \n
    )
    assert import_file(path).created == 2


def test_skip_invalid_imports_the_rest_and_writes_the_rejects(
    app_context: Flask, tmp_path: Path
) -> None:
    people = records(3)
    bad = line(people[1], email="not an address")
    path = write(tmp_path / "in.jsonl", [line(people[0]), bad, line(people[2]), "nonsense"])
    rejects = tmp_path / "rejects.jsonl"

    result = import_file(path, rejects=rejects)

    assert (result.created, result.updated, result.report.invalid_lines) == (2, 0, 2)
    assert [str(e) for e in result.report.errors] == [
        "line 2: email: must be an e-mail address: name@domain.tld, without spaces",
        "line 4: (json): Expecting value at column 1",
    ]
    assert rejects.read_text(encoding="utf-8") == f"{bad}\nnonsense\n"
    assert find_by_citizen_id(people[1].citizen_id) is None
    assert citizens() == 2


def test_skip_invalid_on_a_good_file_leaves_an_empty_rejects_file(
    app_context: Flask, tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.jsonl"
    import_file(write(tmp_path / "in.jsonl", [line(records(1)[0])]), rejects=rejects)
    assert rejects.read_text() == ""


def test_the_rejects_file_cannot_be_the_input(app_context: Flask, tmp_path: Path) -> None:
    path = write(tmp_path / "in.jsonl", ["nonsense"])
    with pytest.raises(ValueError, match="rejects file"):
        import_file(path, rejects=path)
    assert path.read_text() == "nonsense\n"


def test_importing_again_updates_by_number_and_replaces_linked_records(
    app_context: Flask, tmp_path: Path
) -> None:
    vaccinated = next(r for r in generate_records(4) if len(r.vaccinations) >= 2)
    others = records(3, seed=5)
    import_file(write(tmp_path / "first.jsonl", [line(r) for r in [vaccinated, *others]]))
    pk = db.session.scalar(select(Citizen.id).where(Citizen.citizen_id == vaccinated.citizen_id))

    only_one_shot = to_document(vaccinated)
    only_one_shot["vaccinations"] = [{"vaccine": "Viêm gan B", "dose": 1, "date": "2010-03-01"}]
    only_one_shot["phone"] = "0987654321"
    result = import_file(
        write(tmp_path / "second.jsonl", [json.dumps(only_one_shot), line(records(1, seed=6)[0])])
    )
    db.session.expire_all()

    assert (result.created, result.updated) == (1, 1)
    assert citizens() == 5
    citizen = find_by_citizen_id(vaccinated.citizen_id)
    assert citizen is not None
    assert citizen.id == pk
    assert citizen.phone == "0987654321"
    assert [(v.vaccine, v.dose) for v in citizen.vaccinations] == [("Viêm gan B", 1)]
    others_shots = sum(len(r.vaccinations) for r in others)
    new_shots = len(records(1, seed=6)[0].vaccinations)
    assert db.session.scalar(select(func.count()).select_from(Vaccination)) == (
        1 + others_shots + new_shots
    )


def test_a_file_wrong_throughout_keeps_a_bounded_report(app_context: Flask, tmp_path: Path) -> None:
    path = write(tmp_path / "in.jsonl", ["{}"] * (MAX_REPORTED_ERRORS // 9 + 50))
    with pytest.raises(ImportRejected) as raised:
        import_file(path)
    report = raised.value.report
    assert len(report.errors) == MAX_REPORTED_ERRORS
    assert report.error_count == 9 * report.lines
    assert report.unreported == report.error_count - MAX_REPORTED_ERRORS
