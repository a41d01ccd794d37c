"""Service functions over the population registry: look-up, listing, bulk writes, the import
document of a citizen, and the projection of a citizen into OIDC claims (DESIGN.md §3, claims
catalogue). Every look-up goes through the unique index on ``citizen.citizen_id``.

Never logs: a citizen-ID number is personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Final, TypeVar

from sqlalchemy import Table, insert, select

from idp import clock
from idp.extensions import db
from idp.models.base import Base
from idp.models.population import (
    Citizen,
    DrivingLicense,
    EducationCredential,
    HealthInsurance,
    SocialInsurance,
    Vaccination,
    Vehicle,
)
from idp.population.records import (
    CitizenRecord,
    DrivingLicenseRecord,
    EducationRecord,
    HealthInsuranceRecord,
    SocialInsuranceRecord,
    VaccinationRecord,
    VehicleRecord,
    to_document,
)

# Numbers per ``IN (…)`` look-up: well under SQLite's limit on bound parameters.
LOOKUP_CHUNK: Final = 500
COUNTRY_NAMES: Final[Mapping[str, str]] = {"VN": "Việt Nam"}
VIETNAM_CALLING_CODE: Final = "+84"


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    created: int
    updated: int


# --- reading ------------------------------------------------------------------------------------


def find_by_citizen_id(number: str) -> Citizen | None:
    return db.session.scalar(select(Citizen).where(Citizen.citizen_id == number))


def find_many(numbers: Iterable[str]) -> dict[str, Citizen]:
    """The citizens among ``numbers`` who are in the registry, by number."""
    found: dict[str, Citizen] = {}
    for chunk in _chunks(list(dict.fromkeys(numbers)), LOOKUP_CHUNK):
        for citizen in db.session.scalars(select(Citizen).where(Citizen.citizen_id.in_(chunk))):
            found[citizen.citizen_id] = citizen
    return found


def existing_numbers(numbers: Iterable[str]) -> set[str]:
    """Those of ``numbers`` that the registry already holds (reads the index only)."""
    found: set[str] = set()
    for chunk in _chunks(list(dict.fromkeys(numbers)), LOOKUP_CHUNK):
        found.update(
            db.session.scalars(select(Citizen.citizen_id).where(Citizen.citizen_id.in_(chunk)))
        )
    return found


def list_citizens(limit: int, *, after: str | None = None) -> list[Citizen]:
    """Up to ``limit`` citizens in order of number, starting after the number ``after`` (paging
    by key, so that a page far into a large registry costs no more than the first)."""
    query = select(Citizen).order_by(Citizen.citizen_id).limit(limit)
    if after is not None:
        query = query.where(Citizen.citizen_id > after)
    return list(db.session.scalars(query))


# --- writing ------------------------------------------------------------------------------------


def upsert(records: Iterable[CitizenRecord]) -> UpsertCounts:
    """Add the citizens who are new and update those already registered under the same number,
    replacing all their linked records with the record's. Flushes; the caller commits.

    Of several records with one number, the last wins. Meant for batches of a few thousand.
    """
    latest = {record.citizen_id: record for record in records}
    now = clock.now()
    existing = find_many(latest)
    for number, citizen in existing.items():
        _overwrite(citizen, latest[number], now)
    db.session.flush()
    new = [record for number, record in latest.items() if number not in existing]
    insert_new(new, now=now)
    return UpsertCounts(created=len(new), updated=len(existing))


def insert_new(records: Sequence[CitizenRecord], *, now: datetime | None = None) -> None:
    """Insert citizens known to be absent, with their linked records, as one executemany per
    table: no ORM objects, so a batch of thousands costs a handful of statements."""
    if not records:
        return
    now = now or clock.now()
    citizens = _table(Citizen)
    rows = [{**_citizen_columns(record), "updated_at": now} for record in records]
    # RETURNING in any order, matched by number: insisting on the order of the parameters makes
    # SQLite insert one row per statement.
    inserted = db.session.execute(
        insert(citizens).returning(citizens.c.id, citizens.c.citizen_id), rows
    )
    pks = {number: pk for pk, number in inserted}
    linked: dict[type[Base], list[dict[str, object]]] = {
        HealthInsurance: [],
        SocialInsurance: [],
        DrivingLicense: [],
        Vehicle: [],
        EducationCredential: [],
        Vaccination: [],
    }
    for record in records:
        pk = pks[record.citizen_id]
        if record.health_insurance is not None:
            linked[HealthInsurance].append(_columns(record.health_insurance, pk))
        if record.social_insurance is not None:
            linked[SocialInsurance].append(_columns(record.social_insurance, pk))
        linked[DrivingLicense].extend(_columns(item, pk) for item in record.driving_licenses)
        linked[Vehicle].extend(_columns(item, pk) for item in record.vehicles)
        linked[EducationCredential].extend(_columns(item, pk) for item in record.education)
        linked[Vaccination].extend(_columns(item, pk) for item in record.vaccinations)
    for model, model_rows in linked.items():
        if model_rows:
            db.session.execute(insert(_table(model)), model_rows)


def _table(model: type[Base]) -> Table:
    """The model's table, for Core statements: ORM bulk inserts cost several times more."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _overwrite(citizen: Citizen, record: CitizenRecord, now: datetime) -> None:
    for name, value in _citizen_columns(record).items():
        setattr(citizen, name, value)
    citizen.updated_at = now
    # One-to-one rows are updated in place: a replacement would be inserted before the old row
    # is deleted, and break the unique constraint on citizen_pk.
    if record.health_insurance is None:
        citizen.health_insurance = None
    elif citizen.health_insurance is None:
        citizen.health_insurance = HealthInsurance(**_columns(record.health_insurance))
    else:
        _assign(citizen.health_insurance, _columns(record.health_insurance))
    if record.social_insurance is None:
        citizen.social_insurance = None
    elif citizen.social_insurance is None:
        citizen.social_insurance = SocialInsurance(**_columns(record.social_insurance))
    else:
        _assign(citizen.social_insurance, _columns(record.social_insurance))
    citizen.driving_licenses = [DrivingLicense(**_columns(i)) for i in record.driving_licenses]
    citizen.vehicles = [Vehicle(**_columns(item)) for item in record.vehicles]
    citizen.education = [EducationCredential(**_columns(item)) for item in record.education]
    citizen.vaccinations = [Vaccination(**_columns(item)) for item in record.vaccinations]


_CITIZEN_COLUMNS: Final = (
    "citizen_id", "family_name", "middle_name", "given_name", "birth_date", "gender",
    "nationality", "place_of_origin", "street_address", "locality", "region", "country",
    "phone", "email",
)  # fmt: skip

LinkedRecord = (
    HealthInsuranceRecord
    | SocialInsuranceRecord
    | DrivingLicenseRecord
    | VehicleRecord
    | EducationRecord
    | VaccinationRecord
)


def _citizen_columns(record: CitizenRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in _CITIZEN_COLUMNS}


def _columns(record: LinkedRecord, citizen_pk: int | None = None) -> dict[str, object]:
    """A linked record's column values; its attribute names are the model's column names."""
    values: dict[str, object] = {
        field.name: getattr(record, field.name) for field in fields(record)
    }
    if citizen_pk is not None:
        values["citizen_pk"] = citizen_pk
    return values


def _assign(row: object, values: Mapping[str, object]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


# --- documents and claims -----------------------------------------------------------------------

_Row = TypeVar("_Row", DrivingLicense, Vehicle, EducationCredential, Vaccination)


def _in_order(rows: Iterable[_Row]) -> list[_Row]:
    """Linked rows in the order they were written (the relationships have no ORDER BY)."""
    return sorted(rows, key=lambda row: row.id or 0)


def record_of(citizen: Citizen) -> CitizenRecord:
    health, social = citizen.health_insurance, citizen.social_insurance
    return CitizenRecord(
        **{name: getattr(citizen, name) for name in _CITIZEN_COLUMNS},
        health_insurance=None
        if health is None
        else HealthInsuranceRecord(
            number=health.number,
            valid_from=health.valid_from,
            valid_until=health.valid_until,
            registered_facility=health.registered_facility,
        ),
        social_insurance=None if social is None else SocialInsuranceRecord(number=social.number),
        driving_licenses=tuple(
            DrivingLicenseRecord(
                number=row.number,
                license_class=row.license_class,
                issued_on=row.issued_on,
                expires_on=row.expires_on,
                status=row.status,
            )
            for row in _in_order(citizen.driving_licenses)
        ),
        vehicles=tuple(
            VehicleRecord(
                plate=row.plate,
                vehicle_type=row.vehicle_type,
                brand=row.brand,
                registered_on=row.registered_on,
            )
            for row in _in_order(citizen.vehicles)
        ),
        education=tuple(
            EducationRecord(credential=row.credential, institution=row.institution, year=row.year)
            for row in _in_order(citizen.education)
        ),
        vaccinations=tuple(
            VaccinationRecord(vaccine=row.vaccine, dose=row.dose, given_on=row.given_on)
            for row in _in_order(citizen.vaccinations)
        ),
    )


def as_document(citizen: Citizen) -> dict[str, object]:
    """The citizen as one object of the JSON Lines import format (docs/population-format.md)."""
    return to_document(record_of(citizen))


def project_claims(citizen: Citizen, claims: frozenset[str]) -> dict[str, object]:
    """The requested claims that the registry holds for ``citizen`` (DESIGN.md §3, claims
    catalogue). A claim without data is left out, never ``null``; a claim the registry does not
    know (``sub``, ``acr``…) is ignored."""
    projected: dict[str, object] = {}
    for claim, project in _CLAIM_PROJECTIONS.items():
        if claim in claims:
            value = project(citizen)
            if value is not None and value != []:
                projected[claim] = value
    return projected


def phone_in_e164(phone: str) -> str:
    """A registry phone number in E.164: national numbers (trunk prefix 0) are Vietnamese."""
    return phone if phone.startswith("+") else VIETNAM_CALLING_CODE + phone.removeprefix("0")


def _address(citizen: Citizen) -> dict[str, str]:
    country_name = COUNTRY_NAMES.get(citizen.country, citizen.country)
    parts = (citizen.street_address, citizen.locality, citizen.region, country_name)
    return {
        "formatted": ", ".join(part for part in parts if part),
        "street_address": citizen.street_address,
        "locality": citizen.locality,
        "region": citizen.region,
        "country": citizen.country,
    }


def _health_insurance(citizen: Citizen) -> dict[str, str] | None:
    card = citizen.health_insurance
    if card is None:
        return None
    return {
        "number": card.number,
        "valid_from": card.valid_from.isoformat(),
        "valid_until": card.valid_until.isoformat(),
        "registered_facility": card.registered_facility,
    }


def _driving_licenses(citizen: Citizen) -> list[dict[str, str]]:
    licences = []
    for row in _in_order(citizen.driving_licenses):
        licence = {
            "number": row.number,
            "class": row.license_class,
            "issued_on": row.issued_on.isoformat(),
            "status": row.status,
        }
        if row.expires_on is not None:
            licence["expires_on"] = row.expires_on.isoformat()
        licences.append(licence)
    return licences


_CLAIM_PROJECTIONS: Final[Mapping[str, Callable[[Citizen], object]]] = {
    "name": lambda citizen: citizen.full_name,
    "family_name": lambda citizen: citizen.family_name,
    "given_name": lambda citizen: citizen.given_name,
    "middle_name": lambda citizen: citizen.middle_name or None,
    "birthdate": lambda citizen: citizen.birth_date.isoformat(),
    "gender": lambda citizen: citizen.gender,
    "nationality": lambda citizen: citizen.nationality,
    "address": _address,
    "phone_number": lambda citizen: phone_in_e164(citizen.phone) if citizen.phone else None,
    # The registry's contact details were verified when they were recorded.
    "phone_number_verified": lambda citizen: True if citizen.phone else None,
    "email": lambda citizen: citizen.email,
    "email_verified": lambda citizen: True if citizen.email else None,
    "citizen_id": lambda citizen: citizen.citizen_id,
    "health_insurance": _health_insurance,
    "social_insurance": lambda citizen: (
        {"number": citizen.social_insurance.number} if citizen.social_insurance else None
    ),
    "driving_licenses": _driving_licenses,
    "vehicles": lambda citizen: [
        {
            "plate": row.plate,
            "type": row.vehicle_type,
            "brand": row.brand,
            "registered_on": row.registered_on.isoformat(),
        }
        for row in _in_order(citizen.vehicles)
    ],
    "education": lambda citizen: [
        {"credential": row.credential, "institution": row.institution, "year": row.year}
        for row in _in_order(citizen.education)
    ],
    "vaccinations": lambda citizen: [
        {"vaccine": row.vaccine, "dose": row.dose, "date": row.given_on.isoformat()}
        for row in _in_order(citizen.vaccinations)
    ],
}

_Item = TypeVar("_Item")


def _chunks(items: Sequence[_Item], size: int) -> Iterable[Sequence[_Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
