"""Seeding and the registry's service functions, on every database."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

from flask import Flask
from sqlalchemy import func, select

from idp.extensions import db
from idp.models.population import Citizen, DrivingLicense, HealthInsurance, Vehicle
from idp.population.records import DrivingLicenseRecord, VehicleRecord, parse_record
from idp.population.registry import (
    as_document,
    find_by_citizen_id,
    insert_new,
    list_citizens,
    project_claims,
    record_of,
    upsert,
)
from idp.population.seed import generate_records, seed


def count(model: type[object]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_writes_the_generated_citizens_in_batches(app_context: Flask) -> None:
    progress: list[int] = []

    result = seed(45, 11, progress=progress.append, batch_size=20)

    assert (result.created, result.renumbered) == (45, 0)
    assert progress == [20, 20, 5]
    assert count(Citizen) == 45
    expected = list(itertools.islice(generate_records(11), 45))
    assert sorted(c.citizen_id for c in list_citizens(100)) == sorted(
        r.citizen_id for r in expected
    )
    for record in expected[:10]:
        citizen = find_by_citizen_id(record.citizen_id)
        assert citizen is not None
        assert record_of(citizen) == record


def test_seeding_again_with_the_same_seed_renumbers_instead_of_colliding(
    app_context: Flask,
) -> None:
    seed(30, 5)
    result = seed(30, 5, batch_size=7)

    assert (result.created, result.renumbered) == (30, 30)
    assert count(Citizen) == 60
    numbers = [citizen.citizen_id for citizen in list_citizens(100)]
    assert len(set(numbers)) == 60


def test_find_by_citizen_id_and_list_in_pages(app_context: Flask) -> None:
    seed(25, 3)
    assert find_by_citizen_id("001190000000") is None

    first_page = list_citizens(10)
    second_page = list_citizens(10, after=first_page[-1].citizen_id)
    last_page = list_citizens(10, after=second_page[-1].citizen_id)

    numbers = [c.citizen_id for c in first_page + second_page + last_page]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 25
    assert len(last_page) == 5


def test_upsert_adds_new_and_replaces_the_records_of_existing_citizens(
    app_context: Flask,
) -> None:
    original = next(
        record
        for record in generate_records(8)
        if record.driving_licenses and record.health_insurance and not record.vehicles
    )
    upsert([original])
    db.session.commit()
    citizen_pk = db.session.scalar(select(Citizen.id))

    licence = DrivingLicenseRecord("123456789012", "B2", date(2020, 1, 1), None, "valid")
    vehicle = VehicleRecord("30A-123.45", "Ô tô con", "VinFast", date(2021, 5, 1))
    changed = parse_record(
        {
            **as_document(find_by_citizen_id(original.citizen_id)),  # type: ignore[arg-type]
            "given_name": "Đổi",
            "health_insurance": None,
            "driving_licenses": [
                {
                    "number": licence.number,
                    "class": licence.license_class,
                    "issued_on": "2020-01-01",
                    "status": "valid",
                }
            ],
            "vehicles": [
                {
                    "plate": vehicle.plate,
                    "type": vehicle.vehicle_type,
                    "brand": vehicle.brand,
                    "registered_on": "2021-05-01",
                }
            ],
        }
    )
    newcomer = next(generate_records(9))

    counts = upsert([changed, newcomer])
    db.session.commit()
    db.session.expire_all()

    assert (counts.created, counts.updated) == (1, 1)
    citizen = find_by_citizen_id(original.citizen_id)
    assert citizen is not None
    assert citizen.id == citizen_pk
    assert citizen.given_name == "Đổi"
    assert record_of(citizen).driving_licenses == (licence,)
    assert record_of(citizen).vehicles == (vehicle,)
    assert citizen.health_insurance is None
    assert count(HealthInsurance) == (1 if newcomer.health_insurance else 0)
    assert count(DrivingLicense) == 1 + len(newcomer.driving_licenses)
    assert count(Vehicle) == 1 + len(newcomer.vehicles)
    assert find_by_citizen_id(newcomer.citizen_id) is not None


def test_upsert_replaces_a_one_to_one_record(app_context: Flask) -> None:
    record = next(r for r in generate_records(12) if r.health_insurance and r.social_insurance)
    upsert([record])
    db.session.commit()
    document = as_document(find_by_citizen_id(record.citizen_id))  # type: ignore[arg-type]
    document["health_insurance"]["registered_facility"] = "Bệnh viện Chợ Rẫy"  # type: ignore[index]

    upsert([parse_record(document)])
    db.session.commit()
    db.session.expire_all()

    citizen = find_by_citizen_id(record.citizen_id)
    assert citizen is not None
    assert citizen.health_insurance is not None
    assert citizen.health_insurance.registered_facility == "Bệnh viện Chợ Rẫy"
    assert count(HealthInsurance) == 1


def test_claims_of_a_stored_citizen(app_context: Flask) -> None:
    seed(1, 21)
    (citizen,) = list_citizens(1)

    claims = project_claims(citizen, frozenset({"citizen_id", "birthdate", "address"}))

    assert claims["citizen_id"] == citizen.citizen_id
    assert claims["birthdate"] == citizen.birth_date.isoformat()
    assert isinstance(claims["address"], dict)
    assert claims["address"]["region"] == citizen.region


def test_upsert_refreshes_citizens_already_loaded_in_the_session(app_context: Flask) -> None:
    record = next(r for r in generate_records(13) if r.driving_licenses)
    upsert([record])
    db.session.commit()
    citizen = find_by_citizen_id(record.citizen_id)
    assert citizen is not None
    assert citizen.driving_licenses

    upsert([replace(record, given_name="Mới", driving_licenses=())])

    assert citizen.given_name == "Mới"
    assert citizen.driving_licenses == []


def test_insert_new_keeps_text_that_bulk_loading_treats_specially(app_context: Flask) -> None:
    """COPY's text format gives meaning to backslashes, tabs and ``\\N`` (NULL): the rows must
    come back as they were written, on every database."""
    template = next(r for r in generate_records(14) if r.driving_licenses and r.health_insurance)
    tricky = replace(
        template,
        street_address="Số 5\\N ngõ 7\\t, đường \\ Lê Lợi",
        place_of_origin="Xã \\.",
        phone=None,
        email="a\\b@example.com",
        driving_licenses=(replace(template.driving_licenses[0], expires_on=None),),
    )
    plain = next(generate_records(15))

    insert_new([tricky, plain])
    db.session.commit()
    db.session.expire_all()

    for record in (tricky, plain):
        citizen = find_by_citizen_id(record.citizen_id)
        assert citizen is not None
        assert record_of(citizen) == record


def test_seeded_citizens_keep_all_their_linked_records(app_context: Flask) -> None:
    seed(60, 16, batch_size=25)

    for record in itertools.islice(generate_records(16), 60):
        citizen = find_by_citizen_id(record.citizen_id)
        assert citizen is not None
        assert record_of(citizen) == record
