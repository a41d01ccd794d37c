"""Generated sandbox citizens: reproducible, valid, and varied (no database needed)."""

from __future__ import annotations

import itertools
import random
import tracemalloc
from datetime import date

import pytest

from idp.population.citizen_id import check_citizen_id
from idp.population.provinces import PROVINCES
from idp.population.records import CitizenRecord, parse_record, to_document
from idp.population.seed import PARTS, _Numbers, generate_records


def first(count: int, seed: int) -> list[CitizenRecord]:
    return list(itertools.islice(generate_records(seed), count))


@pytest.fixture(scope="module")
def sample() -> list[CitizenRecord]:
    return first(2000, 7)


def test_the_same_seed_gives_the_same_citizens() -> None:
    one, two = first(300, 42), first(300, 42)
    assert [(r.citizen_id, r.family_name, r.middle_name, r.given_name) for r in one] == [
        (r.citizen_id, r.family_name, r.middle_name, r.given_name) for r in two
    ]
    assert one == two


def test_another_seed_gives_other_citizens() -> None:
    assert {r.citizen_id for r in first(100, 1)}.isdisjoint(r.citizen_id for r in first(100, 2))


def test_numbers_are_unique_and_valid_for_their_holder(sample: list[CitizenRecord]) -> None:
    assert len({record.citizen_id for record in sample}) == len(sample)
    for record in sample:
        check_citizen_id(record.citizen_id, gender=record.gender, birth_date=record.birth_date)
        assert record.citizen_id[:3] in PROVINCES


def test_birth_dates_fall_between_1940_and_2008(sample: list[CitizenRecord]) -> None:
    births = [record.birth_date for record in sample]
    assert min(births) >= date(1940, 1, 1)
    assert max(births) <= date(2008, 12, 31)
    assert max(births).year - min(births).year > 50


def test_every_generated_record_passes_import_validation(sample: list[CitizenRecord]) -> None:
    for record in sample:
        assert parse_record(to_document(record)) == record


def test_a_mix_of_linked_records(sample: list[CitizenRecord]) -> None:
    def share(has: list[bool]) -> float:
        return sum(has) / len(has)

    assert share([r.health_insurance is not None for r in sample]) > 0.8
    assert 0.3 < share([r.social_insurance is not None for r in sample]) < 0.8
    for linked in ("driving_licenses", "vehicles", "education", "vaccinations"):
        assert 0.1 < share([bool(getattr(r, linked)) for r in sample]) < 0.8, linked
    assert {r.gender for r in sample} == {"male", "female"}
    assert share([r.family_name == "Nguyễn" for r in sample]) > 0.25
    assert len({r.region for r in sample}) > 50


def test_everyone_has_a_phone_or_an_email_to_activate_with(sample: list[CitizenRecord]) -> None:
    assert all(record.phone or record.email for record in sample)
    assert 0.8 < sum(record.phone is not None for record in sample) / len(sample) < 1


def test_each_prefix_walks_all_its_million_numbers_once() -> None:
    numbers = _Numbers(random.Random(5))
    walked = [numbers.next("001084") for _ in range(PARTS)]

    assert len(set(walked)) == PARTS
    assert all(number is not None and number.startswith("001084") for number in walked)
    assert numbers.next("001084") is None
    assert numbers.next("079195") is not None


def test_numbers_remember_prefixes_not_numbers() -> None:
    """Memory stays flat however many citizens are generated: only the prefixes in use are
    kept (some ten thousand at most), not the numbers issued."""
    numbers = _Numbers(random.Random(6))
    prefixes = [f"{province}{digit}{year:02d}" for province in ("001", "079") for digit in (0, 1)
                for year in range(50)]  # fmt: skip
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        issued = sum(numbers.next(prefixes[n % len(prefixes)]) is not None for n in range(100_000))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert issued == 100_000
    # 100,000 numbers kept in a set would take some 9 MB; 200 walks take a few dozen kB.
    assert grown < 200_000
