"""Service functions over the population registry: look-up, listing, bulk writes, the import
document of a citizen, and the projection of a citizen into OIDC claims (DESIGN.md §3, claims
catalogue). Every look-up goes through the unique index on ``citizen.citizen_id``.

Never logs: a citizen-ID number is personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Table,
    any_,
    bindparam,
    delete,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import selectinload

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

if TYPE_CHECKING:
    import psycopg

# Numbers per ``IN (…)`` look-up: well under SQLite's limit on bound parameters.
LOOKUP_CHUNK: Final = 500
COUNTRY_NAMES: Final[Mapping[str, str]] = {"VN": "Việt Nam"}
VIETNAM_CALLING_CODE: Final = "+84"
_Item = TypeVar("_Item")


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    created: int
    updated: int


# --- reading ------------------------------------------------------------------------------------


# A citizen's linked records load when a claim needs them (an account is loaded with its
# citizen on every sign-in, token and userinfo, and most of these release no record); a page of
# citizens loads them in one query per kind.
WITH_RECORDS = (
    selectinload(Citizen.health_insurance),
    selectinload(Citizen.social_insurance),
    selectinload(Citizen.driving_licenses),
    selectinload(Citizen.vehicles),
    selectinload(Citizen.education),
    selectinload(Citizen.vaccinations),
)


def find_by_citizen_id(number: str) -> Citizen | None:
    return db.session.scalar(select(Citizen).where(Citizen.citizen_id == number))


def list_citizens(limit: int, *, after: str | None = None) -> list[Citizen]:
    """Up to ``limit`` citizens in order of number, starting after the number ``after`` (paging
    by key, so that a page far into a large registry costs no more than the first)."""
    query = select(Citizen).order_by(Citizen.citizen_id).limit(limit).options(*WITH_RECORDS)
    if after is not None:
        query = query.where(Citizen.citizen_id > after)
    return list(db.session.scalars(query))


def existing_numbers(numbers: Iterable[str]) -> set[str]:
    """Those of ``numbers`` that the registry already holds (reads the index only)."""
    return set(_primary_keys(numbers))


def _primary_keys(numbers: Iterable[str]) -> dict[str, int]:
    """The primary key of each of ``numbers`` that is registered, by number."""
    found: dict[str, int] = {}
    citizens = _table(Citizen)
    for chunk in _chunks(list(dict.fromkeys(numbers)), LOOKUP_CHUNK):
        query = select(citizens.c.citizen_id, citizens.c.id)
        query = query.where(_among(citizens.c.citizen_id, chunk))
        found.update({number: pk for number, pk in db.session.execute(query)})
    return found


def _among(column: ColumnElement[_Item], values: Sequence[_Item]) -> ColumnElement[bool]:
    """``column IN (…)`` that stays an index look-up on PostgreSQL.

    There a list of hundreds of parameters, once the driver prepares the statement, gets a
    generic plan that may scan the table and compare each row with every parameter (seconds per
    query on a growing table); one array parameter is planned as a few index probes.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), ARRAY(column.type)))
    return column.in_(values)


# --- writing ------------------------------------------------------------------------------------
# Core statements, one executemany per table and batch: ORM objects would cost several times
# more, for nothing, on the import and seed paths.

LINKED_MODELS: Final = (
    HealthInsurance,
    SocialInsurance,
    DrivingLicense,
    Vehicle,
    EducationCredential,
    Vaccination,
)


def upsert(records: Iterable[CitizenRecord]) -> UpsertCounts:
    """Add the citizens who are new and update those already registered under the same number,
    replacing all their linked records with the record's. The caller commits.

    Of several records with one number, the last wins. Meant for batches of a few thousand.
    """
    latest = {record.citizen_id: record for record in records}
    db.session.flush()
    now = clock.now()
    existing = _primary_keys(latest)
    if existing:
        citizens = _table(Citizen)
        db.session.execute(
            update(citizens).where(citizens.c.id == bindparam("pk")),
            [
                {"pk": pk, **_citizen_columns(latest[number]), "updated_at": now}
                for number, pk in existing.items()
            ],
        )
        pks = list(existing.values())
        for model in LINKED_MODELS:
            table = _table(model)
            for chunk in _chunks(pks, LOOKUP_CHUNK):
                db.session.execute(delete(table).where(_among(table.c.citizen_pk, chunk)))
        _insert_linked((pk, latest[number]) for number, pk in existing.items())
        _forget_loaded(set(pks))
    new = [record for number, record in latest.items() if number not in existing]
    insert_new(new, now=now)
    return UpsertCounts(created=len(new), updated=len(existing))


def insert_new(records: Sequence[CitizenRecord], *, now: datetime | None = None) -> None:
    """Insert citizens known to be absent, with their linked records. The caller commits.

    PostgreSQL is fed with ``COPY … FROM STDIN``, the fastest way in, row by row, so no buffer of
    the whole batch is built; other databases get one multi-row insert per table.
    """
    if not records:
        return
    now = now or clock.now()
    if db.session.get_bind().dialect.name == "postgresql":
        _copy_new(records, now)
        return
    citizens = _table(Citizen)
    rows = [{**_citizen_columns(record), "updated_at": now} for record in records]
    # RETURNING in any order, matched by number: insisting on the order of the parameters makes
    # SQLite insert one row per statement.
    inserted = db.session.execute(
        insert(citizens).returning(citizens.c.citizen_id, citizens.c.id), rows
    )
    pks: dict[str, int] = {number: pk for number, pk in inserted}
    _insert_linked((pks[record.citizen_id], record) for record in records)


def _insert_linked(citizens: Iterable[tuple[int, CitizenRecord]]) -> None:
    rows: dict[type[Base], list[dict[str, object]]] = {model: [] for model in LINKED_MODELS}
    for pk, record in citizens:
        for model, linked_of in _LINKED_OF.items():
            rows[model].extend(_columns(item, pk) for item in linked_of(record))
    for model, model_rows in rows.items():
        if model_rows:
            db.session.execute(insert(_table(model)), model_rows)


def _copy_new(records: Sequence[CitizenRecord], now: datetime) -> None:
    """``insert_new`` on PostgreSQL. COPY returns no keys, so the citizens' keys are drawn from
    their sequence first, in one round trip, and written with them. A connection runs one COPY
    at a time: the linked rows of the batch wait as tuples while the citizens go in."""
    cursor = _driver_connection().cursor()
    citizens = _table(Citizen)
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (citizens.name, len(records)),
    )
    pks = [pk for (pk,) in cursor]
    linked: dict[type[Base], list[tuple[object, ...]]] = {model: [] for model in LINKED_MODELS}
    columns = ", ".join((*_CITIZEN_COLUMNS, "updated_at", "id"))
    with cursor.copy(f"COPY {citizens.name} ({columns}) FROM STDIN") as copy:
        for record, pk in zip(records, pks, strict=True):
            copy.write_row((*_citizen_values(record), now, pk))
            for model, linked_of in _LINKED_OF.items():
                values = _LINKED_VALUES[model]
                linked[model].extend((*values(item), pk) for item in linked_of(record))
    for model, rows in linked.items():
        columns = ", ".join((*_LINKED_FIELDS[model], "citizen_pk"))
        with cursor.copy(f"COPY {_table(model).name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _driver_connection() -> psycopg.Connection[Any]:
    """The psycopg connection under the session's, in the session's transaction (psycopg is
    installed with the ``postgres`` extra, so it is imported only for type checking)."""
    return cast("psycopg.Connection[Any]", db.session.connection().connection.driver_connection)


def _forget_loaded(pks: set[int]) -> None:
    """Bring the session in line with citizens rewritten by Core statements: reload the citizens
    on next use, and drop the linked rows it holds for them, which are deleted (on SQLite a new
    row may even take a deleted one's key). Reads no attribute that would need a query."""
    for loaded in list(db.session.identity_map.values()):
        state = inspect(loaded)
        if isinstance(loaded, Citizen):
            if state.identity is not None and state.identity[0] in pks:
                db.session.expire(loaded)
        elif isinstance(loaded, LINKED_MODELS) and state.dict.get("citizen_pk") in pks:
            db.session.expunge(loaded)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


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
# Each linked table, and the records of a citizen that go in it.
_LINKED_OF: Final[Mapping[type[Base], Callable[[CitizenRecord], Sequence[LinkedRecord]]]] = {
    HealthInsurance: lambda r: () if r.health_insurance is None else (r.health_insurance,),
    SocialInsurance: lambda r: () if r.social_insurance is None else (r.social_insurance,),
    DrivingLicense: lambda r: r.driving_licenses,
    Vehicle: lambda r: r.vehicles,
    EducationCredential: lambda r: r.education,
    Vaccination: lambda r: r.vaccinations,
}
# A linked record's attribute names, which are its table's column names.
_LINKED_FIELDS: Final[Mapping[type[Base], tuple[str, ...]]] = {
    model: tuple(field.name for field in fields(record_type))
    for model, record_type in (
        (HealthInsurance, HealthInsuranceRecord),
        (SocialInsurance, SocialInsuranceRecord),
        (DrivingLicense, DrivingLicenseRecord),
        (Vehicle, VehicleRecord),
        (EducationCredential, EducationRecord),
        (Vaccination, VaccinationRecord),
    )
}


def _values_in_order(names: tuple[str, ...]) -> Callable[[LinkedRecord], tuple[object, ...]]:
    """A function giving a record's values as a tuple (``attrgetter`` of one name gives the
    value itself)."""
    if len(names) == 1:
        value = attrgetter(names[0])
        return lambda item: (value(item),)
    return attrgetter(*names)


_LINKED_VALUES: Final = {model: _values_in_order(names) for model, names in _LINKED_FIELDS.items()}


_citizen_values: Final = attrgetter(*_CITIZEN_COLUMNS)


def _citizen_columns(record: CitizenRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in _CITIZEN_COLUMNS}


def _columns(record: LinkedRecord, citizen_pk: int) -> dict[str, object]:
    """A linked record's column values; its attribute names are the model's column names."""
    values = {field.name: getattr(record, field.name) for field in fields(record)}
    return {**values, "citizen_pk": citizen_pk}


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


def _chunks(items: Sequence[_Item], size: int) -> Iterable[Sequence[_Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
