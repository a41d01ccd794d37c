"""Sandbox citizens: plausible Vietnamese records from Faker's ``vi_VN`` locale, written in bulk.

Names and addresses are drawn from the tables of Faker's ``vi_VN`` person and address providers
(with family and middle names weighted as they are in the population), by our own seeded
generators: a Faker instance formats each value through templates, which would be most of the
time of a large seed, and its output for a seed may change between Faker versions.

The same seed gives the same citizens: numbers, names, birth dates and addresses come from one
seeded stream that nothing else draws from, and linked records (whose dates depend on today) from
another. Numbers are valid citizen-ID numbers (reference/citizen-id-number.md), unique within a
run; one that is already in the registry is given a new random part from a third stream.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final

from faker.providers.address.vi_VN import Provider as VietnameseAddresses
from faker.providers.person.vi_VN import Provider as VietnameseNames

from idp import clock
from idp.extensions import db
from idp.population.citizen_id import make_citizen_id
from idp.population.provinces import PROVINCES
from idp.population.records import (
    CitizenRecord,
    DrivingLicenseRecord,
    EducationRecord,
    HealthInsuranceRecord,
    SocialInsuranceRecord,
    VaccinationRecord,
    VehicleRecord,
)
from idp.population.registry import existing_numbers, insert_new

BATCH_SIZE: Final = 5000
FIRST_BIRTH: Final = date(1940, 1, 1)
LAST_BIRTH: Final = date(2008, 12, 31)

# Shares of the population by family name (the common ones; the rest share what is left).
FAMILY_NAMES: Final = (
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 4.0),
    ("Huỳnh", 1.5), ("Phan", 4.5), ("Vũ", 2.5), ("Võ", 1.5), ("Đặng", 2.1), ("Bùi", 2.0),
    ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Đinh", 0.6),
    ("Trương", 0.6), ("Mai", 0.4), ("Lương", 0.4), ("Trịnh", 0.4), ("Tạ", 0.2), ("Cao", 0.3),
)  # fmt: skip
MIDDLE_NAMES: Final = {
    "male": (("Văn", 30), ("Đức", 10), ("Hữu", 8), ("Quang", 8), ("Minh", 10), ("Thanh", 6),
             ("Công", 6), ("Xuân", 4), ("Hoàng", 4), ("Ngọc", 4), ("Trọng", 4), ("", 6)),
    "female": (("Thị", 40), ("Ngọc", 10), ("Thu", 8), ("Thanh", 6), ("Minh", 5), ("Kim", 5),
               ("Phương", 5), ("Bảo", 4), ("Hồng", 5), ("Mai", 4), ("", 8)),
}  # fmt: skip
UNIVERSITIES: Final = (
    ("Bằng cử nhân Kinh tế", "Trường Đại học Kinh tế Quốc dân"),
    ("Bằng kỹ sư Công nghệ thông tin", "Đại học Bách khoa Hà Nội"),
    ("Bằng cử nhân Luật", "Trường Đại học Luật Hà Nội"),
    ("Bằng bác sĩ Y khoa", "Trường Đại học Y Hà Nội"),
    ("Bằng cử nhân Sư phạm Toán", "Trường Đại học Sư phạm Hà Nội"),
    ("Bằng kỹ sư Xây dựng", "Trường Đại học Bách khoa – Đại học Quốc gia TP.HCM"),
    ("Bằng cử nhân Quản trị kinh doanh", "Trường Đại học Kinh tế TP. Hồ Chí Minh"),
    ("Bằng cử nhân Ngôn ngữ Anh", "Trường Đại học Ngoại ngữ – Đại học Quốc gia Hà Nội"),
    ("Bằng kỹ sư Nông nghiệp", "Học viện Nông nghiệp Việt Nam"),
    ("Bằng cử nhân Công nghệ thông tin", "Trường Đại học Cần Thơ"),
)
COVID_VACCINES: Final = ("AstraZeneca", "Pfizer-BioNTech", "Moderna", "Sinopharm Vero Cell")
MOTORBIKE_BRANDS: Final = ("Honda", "Yamaha", "Suzuki", "SYM", "Piaggio", "VinFast")
CAR_BRANDS: Final = ("Toyota", "Hyundai", "Kia", "Mazda", "VinFast", "Ford", "Honda")
PLATE_SERIES: Final = "ABCDEFGHKLMNPSTUVXYZ"
MOBILE_PREFIXES: Final = ("32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78",
                          "79", "81", "82", "83", "84", "85", "86", "88", "89", "90", "91", "93",
                          "94", "96", "97", "98")  # fmt: skip
# A health-insurance card number starts with the holder's group (who pays), which goes by age:
# children under six, pupils, retired people, and for the rest their employer or household.
CHILD_GROUP, PUPIL_GROUP, RETIRED_GROUP = "TE", "HS", "HT"
WORKING_GROUPS: Final = ("DN", "HC", "GD", "HN")
COMMUNES: Final = VietnameseAddresses.communes
STREET_PREFIXES: Final = tuple(p for p in VietnameseAddresses.street_prefixes if p[0].isupper())


@dataclass(frozen=True, slots=True)
class SeedResult:
    created: int
    renumbered: int


def seed(
    count: int,
    seed: int,
    *,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SeedResult:
    """Add ``count`` generated citizens to the registry, one commit per batch.

    ``progress`` is called after each batch with the number of citizens it added.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    renumber_rng = random.Random(f"{seed}:renumber")  # noqa: S311 - sandbox data, reproducible
    generated = generate_records(seed)
    created = renumbered = 0
    while created < count:
        batch = list(itertools.islice(generated, min(batch_size, count - created)))
        batch, changed = _avoid_registered(batch, renumber_rng)
        insert_new(batch)
        db.session.commit()
        created += len(batch)
        renumbered += changed
        if progress is not None:
            progress(len(batch))
    return SeedResult(created=created, renumbered=renumbered)


def _avoid_registered(
    batch: Sequence[CitizenRecord], rng: random.Random
) -> tuple[list[CitizenRecord], int]:
    """The batch with a fresh random part for each number the registry already holds."""
    taken = existing_numbers(record.citizen_id for record in batch)
    if not taken:
        return list(batch), 0
    in_batch = {record.citizen_id for record in batch}
    result: list[CitizenRecord] = []
    for record in batch:
        if record.citizen_id in taken:
            prefix = record.citizen_id[:6]
            while True:
                number = f"{prefix}{rng.randrange(1_000_000):06d}"
                if number not in in_batch and not existing_numbers([number]):
                    break
            in_batch.add(number)
            record = replace(record, citizen_id=number)
        result.append(record)
    return result, len(taken)


@dataclass(frozen=True, slots=True)
class Identity:
    """What the seeded stream of people decides, before the linked records are added."""

    citizen_id: str
    family_name: str
    middle_name: str
    given_name: str
    birth_date: date
    gender: str
    place_of_origin: str
    street_address: str
    locality: str
    region: str
    region_code: str


def generate_records(seed: int) -> Iterator[CitizenRecord]:
    """An endless, reproducible stream of citizens with unique numbers (needs no database)."""
    people = random.Random(seed)  # noqa: S311 - sandbox data, reproducible by design
    linked_rng = random.Random(f"{seed}:linked")  # noqa: S311 - idem
    today = clock.now().date()
    provinces = list(PROVINCES.items())
    movers = [("001", PROVINCES["001"]), ("079", PROVINCES["079"]), *provinces]
    family_names, family_weights = _cumulative(FAMILY_NAMES)
    middle_names = {gender: _cumulative(names) for gender, names in MIDDLE_NAMES.items()}
    given_names = {
        "male": VietnameseNames.first_names_male + VietnameseNames.first_names_unisex,
        "female": VietnameseNames.first_names_female + VietnameseNames.first_names_unisex,
    }
    span = (LAST_BIRTH - FIRST_BIRTH).days
    issued: set[str] = set()

    while True:
        gender = "male" if people.random() < 0.5 else "female"
        birth_date = FIRST_BIRTH + timedelta(days=people.randrange(span + 1))
        province, province_name = people.choice(provinces)
        number = make_citizen_id(province, gender, birth_date.year, people.randrange(1_000_000))
        while number in issued:
            number = number[:6] + f"{people.randrange(1_000_000):06d}"
        issued.add(number)
        names, weights = middle_names[gender]
        # Most people live in the province where their birth was registered.
        home_code, home = (
            (province, province_name) if people.random() < 0.7 else people.choice(movers)
        )
        identity = Identity(
            citizen_id=number,
            family_name=people.choices(family_names, cum_weights=family_weights)[0],
            middle_name=people.choices(names, cum_weights=weights)[0],
            given_name=people.choice(given_names[gender]),
            birth_date=birth_date,
            gender=gender,
            place_of_origin=f"Xã {people.choice(COMMUNES)}, {province_name}",
            street_address=_street_address(people),
            locality=f"{people.choice(('Phường', 'Xã'))} {people.choice(COMMUNES)}",
            region=home,
            region_code=home_code,
        )
        yield _with_linked_records(identity, linked_rng, today)


def _street_address(rng: random.Random) -> str:
    """Shaped like Faker's vi_VN ``street_address`` and drawn from its tables, without the cost of
    its template engine."""
    street = f"{rng.choice(STREET_PREFIXES)} {rng.choice(VietnameseAddresses.streets)}"
    shape = rng.randrange(3)
    if shape == 0:
        return f"Số {rng.randint(1, 999)} {street}"
    if shape == 1:
        return f"{rng.randint(1, 99)}/{rng.randint(1, 99)} {street}"
    alley = rng.choice(VietnameseAddresses.sub_street_prefixes)
    return f"Số {rng.randint(1, 99)} {alley} {rng.randint(1, 199)} {street}"


def _with_linked_records(person: Identity, rng: random.Random, today: date) -> CitizenRecord:
    born = person.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    adult_on = _add_years(born, 18)
    region_digits = person.region_code[1:]  # insurance numbers use the two-digit province code

    phone = f"+84{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10_000_000):07d}"
    email = None
    if rng.random() < 0.5:
        handle = _ascii(f"{person.given_name}{person.family_name}").lower()
        email = f"{handle}{rng.randrange(1, 10_000)}@{rng.choice(('example.com', 'example.net'))}"

    social_number = f"{region_digits}{rng.randrange(100_000_000):08d}"
    health = None
    if rng.random() < 0.9:
        group = (
            CHILD_GROUP
            if age < 6
            else PUPIL_GROUP
            if age < 18
            else RETIRED_GROUP
            if age >= 60
            else rng.choice(WORKING_GROUPS)
        )
        facility = rng.choice(
            (
                f"Trạm Y tế {person.locality}",
                f"Bệnh viện Đa khoa {person.region}",
                f"Trung tâm Y tế {person.locality}",
            )
        )
        health = HealthInsuranceRecord(
            number=f"{group}{rng.randint(1, 5)}{region_digits}{social_number}",
            valid_from=date(today.year, 1, 1),
            valid_until=date(today.year, 12, 31),
            registered_facility=facility,
        )
    working = 18 <= age < 65
    social = SocialInsuranceRecord(social_number) if working and rng.random() < 0.7 else None

    licences: list[DrivingLicenseRecord] = []
    vehicles: list[VehicleRecord] = []
    education: list[EducationRecord] = []
    if age >= 18:
        if rng.random() < 0.45:
            licences.append(_driving_license(rng, "A1", adult_on, today, region_digits))
            if rng.random() < 0.3:
                licences.append(_driving_license(rng, "B2", adult_on, today, region_digits))
        if rng.random() < 0.35:
            vehicles.append(_vehicle(rng, adult_on, today))
        if rng.random() < 0.35:
            education.extend(_education(rng, born, today))

    return CitizenRecord(
        citizen_id=person.citizen_id,
        family_name=person.family_name,
        middle_name=person.middle_name,
        given_name=person.given_name,
        birth_date=born,
        gender=person.gender,
        nationality="VN",
        place_of_origin=person.place_of_origin,
        street_address=person.street_address,
        locality=person.locality,
        region=person.region,
        country="VN",
        # Everyone can activate an e-ID account online: a phone or an e-mail address or both.
        phone=phone if rng.random() < 0.85 or email is None else None,
        email=email,
        health_insurance=health,
        social_insurance=social,
        driving_licenses=tuple(licences),
        vehicles=tuple(vehicles),
        education=tuple(education),
        vaccinations=_vaccinations(rng, born, today) if rng.random() < 0.5 else (),
    )


def _driving_license(
    rng: random.Random, license_class: str, adult_on: date, today: date, region_digits: str
) -> DrivingLicenseRecord:
    issued_on = _day_between(rng, adult_on, today)
    # A1 (motorcycles) never expires; B2 is valid for ten years.
    expires_on = None if license_class == "A1" else _add_years(issued_on, 10)
    if expires_on is not None and expires_on < today:
        status = "expired"
    else:
        status = "suspended" if rng.random() < 0.01 else "valid"
    return DrivingLicenseRecord(
        number=f"{region_digits}{rng.randrange(10**10):010d}",
        license_class=license_class,
        issued_on=issued_on,
        expires_on=expires_on,
        status=status,
    )


def _vehicle(rng: random.Random, adult_on: date, today: date) -> VehicleRecord:
    area = rng.randint(11, 99)
    digits = f"{rng.randrange(1000):03d}.{rng.randrange(100):02d}"
    if rng.random() < 0.8:
        plate = f"{area}-{rng.choice(PLATE_SERIES)}{rng.randint(1, 9)} {digits}"
        kind, brand = "Xe máy", rng.choice(MOTORBIKE_BRANDS)
    else:
        plate = f"{area}{rng.choice(PLATE_SERIES)}-{digits}"
        kind, brand = "Ô tô con", rng.choice(CAR_BRANDS)
    return VehicleRecord(
        plate=plate,
        vehicle_type=kind,
        brand=brand,
        registered_on=_day_between(rng, adult_on, today),
    )


def _education(rng: random.Random, born: date, today: date) -> list[EducationRecord]:
    credentials = [
        EducationRecord(
            credential="Bằng tốt nghiệp trung học phổ thông",
            institution=f"Trường THPT {rng.choice(_SCHOOL_NAMESAKES)}",
            year=born.year + 18,
        )
    ]
    graduated = born.year + rng.randint(22, 24)
    if graduated <= today.year and rng.random() < 0.5:
        credential, institution = rng.choice(UNIVERSITIES)
        credentials.append(EducationRecord(credential, institution, graduated))
    return credentials


def _vaccinations(rng: random.Random, born: date, today: date) -> tuple[VaccinationRecord, ...]:
    """COVID-19 doses of the 2021–2022 campaign, for those old enough at the time."""
    first = date(2021, 7, 1) + timedelta(days=rng.randrange(120))
    if born > first - timedelta(days=365 * 12) or first > today:
        return ()
    vaccine = f"COVID-19 ({rng.choice(COVID_VACCINES)})"
    doses = [VaccinationRecord(vaccine, 1, first)]
    second = first + timedelta(weeks=rng.randint(4, 12))
    if rng.random() < 0.9 and second <= today:
        doses.append(VaccinationRecord(vaccine, 2, second))
        third = second + timedelta(days=rng.randint(120, 240))
        if rng.random() < 0.6 and third <= today:
            doses.append(VaccinationRecord(vaccine, 3, third))
    return tuple(doses)


_SCHOOL_NAMESAKES: Final = (
    "Chu Văn An", "Nguyễn Trãi", "Lê Quý Đôn", "Trần Phú", "Phan Bội Châu", "Nguyễn Du",
    "Lê Hồng Phong", "Trần Hưng Đạo", "Nguyễn Huệ", "Lương Thế Vinh", "Hùng Vương",
)  # fmt: skip


def _cumulative(weighted: Sequence[tuple[str, float]]) -> tuple[list[str], list[float]]:
    names = [name for name, _ in weighted]
    return names, list(itertools.accumulate(weight for _, weight in weighted))


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange(max((last - first).days, 0) + 1))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _ascii(text: str) -> str:
    """Vietnamese text without its diacritics, as people write it in e-mail addresses."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())
