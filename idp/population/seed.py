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

import functools
import itertools
import random
import unicodedata
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final, TypeVar

from faker.providers.address.vi_VN import Provider as VietnameseAddresses
from faker.providers.person.vi_VN import Provider as VietnameseNames

from idp import clock
from idp.extensions import db
from idp.population.citizen_id import century_gender_digit
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
_T = TypeVar("_T")
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
COMMUNES: Final = tuple(VietnameseAddresses.communes)
STREETS: Final = tuple(VietnameseAddresses.streets)
ALLEYS: Final = tuple(VietnameseAddresses.sub_street_prefixes)
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


class _Numbers:
    """Unique citizen-ID numbers for one run, in memory that does not grow with the run.

    Each prefix (province, century and gender, year of birth) walks its million random parts in a
    scrambled order: the part is ``(offset + step × n) mod 10⁶`` for the prefix's n-th citizen,
    with an offset and a step (prime to 10⁶, so the walk visits every part once) drawn when the
    prefix is first used. Only the prefixes in use are remembered (some ten thousand at most),
    not the numbers issued.
    """

    def __init__(self, rng: random.Random) -> None:
        self._random = rng.random
        self._walks: dict[str, list[int]] = {}

    def next(self, prefix: str) -> str | None:
        """The prefix's next number, or None when its million numbers are used up."""
        walk = self._walks.get(prefix)
        if walk is None:
            draw = self._random
            walk = [int(draw() * PARTS), _STEPS[int(draw() * len(_STEPS))], 0]
            self._walks[prefix] = walk
        offset, step, issued = walk
        if issued == PARTS:
            return None
        walk[2] = issued + 1
        return f"{prefix}{(offset + step * issued) % PARTS:06d}"


PARTS: Final = 1_000_000
# Steps prime to 10⁶ (neither even nor a multiple of 5), large enough to look random.
_STEPS: Final = tuple(step for step in range(100_003, 999_999, 7919) if step % 2 and step % 5)


def generate_records(seed: int) -> Iterator[CitizenRecord]:
    """An endless, reproducible stream of citizens with unique numbers (needs no database).

    The hot loop of a large seed: values are drawn with ``random()`` and indexing rather than
    ``choice``/``randrange`` (several times faster), from tables built once.
    """
    people = random.Random(seed)  # noqa: S311 - sandbox data, reproducible by design
    linked = random.Random(f"{seed}:linked")  # noqa: S311 - idem
    draw = people.random
    numbers = _Numbers(people)
    today = clock.now().date()
    provinces = tuple(PROVINCES.items())
    movers = (("001", PROVINCES["001"]), ("079", PROVINCES["079"]), *provinces)
    family_names, family_weights = _cumulative(FAMILY_NAMES)
    middle_names = {gender: _cumulative(names) for gender, names in MIDDLE_NAMES.items()}
    given_names = {
        "male": VietnameseNames.first_names_male + VietnameseNames.first_names_unisex,
        "female": VietnameseNames.first_names_female + VietnameseNames.first_names_unisex,
    }
    first_day, days = FIRST_BIRTH.toordinal(), (LAST_BIRTH - FIRST_BIRTH).days + 1
    communes, n_communes = COMMUNES, len(COMMUNES)

    while True:
        gender = "male" if draw() < 0.5 else "female"
        birth_date = date.fromordinal(first_day + int(draw() * days))
        province, province_name = provinces[int(draw() * len(provinces))]
        number = numbers.next(
            f"{province}{century_gender_digit(gender, birth_date.year)}{birth_date.year % 100:02d}"
        )
        if number is None:  # ten thousand times more people than this place and year had
            continue
        names, weights = middle_names[gender]
        # Most people live in the province where their birth was registered.
        region_code, region = (
            (province, province_name) if draw() < 0.7 else movers[int(draw() * len(movers))]
        )
        given = given_names[gender]
        yield _with_linked_records(
            linked,
            today,
            citizen_id=number,
            family_name=family_names[bisect(family_weights, draw() * family_weights[-1])],
            middle_name=names[bisect(weights, draw() * weights[-1])],
            given_name=given[int(draw() * len(given))],
            birth_date=birth_date,
            gender=gender,
            place_of_origin=f"Xã {communes[int(draw() * n_communes)]}, {province_name}",
            street_address=_street_address(draw),
            locality=f"{'Phường' if draw() < 0.5 else 'Xã'} {communes[int(draw() * n_communes)]}",
            region=region,
            region_code=region_code,
        )


def _pick(draw: Callable[[], float], items: Sequence[_T]) -> _T:
    return items[int(draw() * len(items))]


def _between(draw: Callable[[], float], low: int, high: int) -> int:
    """An integer from ``low`` to ``high``, both included."""
    return low + int(draw() * (high - low + 1))


def _street_address(draw: Callable[[], float]) -> str:
    """Shaped like Faker's vi_VN ``street_address`` and drawn from its tables, without the cost of
    its template engine."""
    street = f"{_pick(draw, STREET_PREFIXES)} {_pick(draw, STREETS)}"
    shape = int(draw() * 3)
    if shape == 0:
        return f"Số {_between(draw, 1, 999)} {street}"
    if shape == 1:
        return f"{_between(draw, 1, 99)}/{_between(draw, 1, 99)} {street}"
    alley = _pick(draw, ALLEYS)
    return f"Số {_between(draw, 1, 99)} {alley} {_between(draw, 1, 199)} {street}"


def _with_linked_records(
    rng: random.Random,
    today: date,
    *,
    citizen_id: str,
    family_name: str,
    middle_name: str,
    given_name: str,
    birth_date: date,
    gender: str,
    place_of_origin: str,
    street_address: str,
    locality: str,
    region: str,
    region_code: str,
) -> CitizenRecord:
    draw = rng.random
    born = birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    adult_on = _add_years(born, 18)
    region_digits = region_code[1:]  # insurance numbers use the two-digit province code

    phone = f"+84{_pick(draw, MOBILE_PREFIXES)}{int(draw() * 10_000_000):07d}"
    email = None
    if draw() < 0.5:
        handle = _ascii(f"{given_name}{family_name}").lower()
        domain = "example.com" if draw() < 0.5 else "example.net"
        email = f"{handle}{_between(draw, 1, 9_999)}@{domain}"

    social_number = f"{region_digits}{int(draw() * 100_000_000):08d}"
    health = None
    if draw() < 0.9:
        group = (
            CHILD_GROUP
            if age < 6
            else PUPIL_GROUP
            if age < 18
            else RETIRED_GROUP
            if age >= 60
            else _pick(draw, WORKING_GROUPS)
        )
        shape = int(draw() * 3)
        facility = (
            f"Trạm Y tế {locality}"
            if shape == 0
            else f"Bệnh viện Đa khoa {region}"
            if shape == 1
            else f"Trung tâm Y tế {locality}"
        )
        health = HealthInsuranceRecord(
            number=f"{group}{_between(draw, 1, 5)}{region_digits}{social_number}",
            valid_from=date(today.year, 1, 1),
            valid_until=date(today.year, 12, 31),
            registered_facility=facility,
        )
    working = 18 <= age < 65
    social = SocialInsuranceRecord(social_number) if working and draw() < 0.7 else None

    licences: tuple[DrivingLicenseRecord, ...] = ()
    vehicles: tuple[VehicleRecord, ...] = ()
    education: tuple[EducationRecord, ...] = ()
    if age >= 18:
        if draw() < 0.45:
            licences = (_driving_license(draw, "A1", adult_on, today, region_digits),)
            if draw() < 0.3:
                licences += (_driving_license(draw, "B2", adult_on, today, region_digits),)
        if draw() < 0.35:
            vehicles = (_vehicle(draw, adult_on, today),)
        if draw() < 0.35:
            education = _education(draw, born, today)

    return CitizenRecord(
        citizen_id=citizen_id,
        family_name=family_name,
        middle_name=middle_name,
        given_name=given_name,
        birth_date=born,
        gender=gender,
        nationality="VN",
        place_of_origin=place_of_origin,
        street_address=street_address,
        locality=locality,
        region=region,
        country="VN",
        # Everyone can activate an e-ID account online: a phone or an e-mail address or both.
        phone=phone if draw() < 0.85 or email is None else None,
        email=email,
        health_insurance=health,
        social_insurance=social,
        driving_licenses=licences,
        vehicles=vehicles,
        education=education,
        vaccinations=_vaccinations(draw, born, today) if draw() < 0.5 else (),
    )


def _driving_license(
    draw: Callable[[], float], license_class: str, adult_on: date, today: date, region_digits: str
) -> DrivingLicenseRecord:
    issued_on = _day_between(draw, adult_on, today)
    # A1 (motorcycles) never expires; B2 is valid for ten years.
    expires_on = None if license_class == "A1" else _add_years(issued_on, 10)
    if expires_on is not None and expires_on < today:
        status = "expired"
    else:
        status = "suspended" if draw() < 0.01 else "valid"
    return DrivingLicenseRecord(
        number=f"{region_digits}{int(draw() * 10**10):010d}",
        license_class=license_class,
        issued_on=issued_on,
        expires_on=expires_on,
        status=status,
    )


def _vehicle(draw: Callable[[], float], adult_on: date, today: date) -> VehicleRecord:
    area = _between(draw, 11, 99)
    digits = f"{int(draw() * 1000):03d}.{int(draw() * 100):02d}"
    if draw() < 0.8:
        plate = f"{area}-{_pick(draw, PLATE_SERIES)}{_between(draw, 1, 9)} {digits}"
        kind, brand = "Xe máy", _pick(draw, MOTORBIKE_BRANDS)
    else:
        plate = f"{area}{_pick(draw, PLATE_SERIES)}-{digits}"
        kind, brand = "Ô tô con", _pick(draw, CAR_BRANDS)
    return VehicleRecord(
        plate=plate,
        vehicle_type=kind,
        brand=brand,
        registered_on=_day_between(draw, adult_on, today),
    )


def _education(draw: Callable[[], float], born: date, today: date) -> tuple[EducationRecord, ...]:
    school = EducationRecord(
        credential="Bằng tốt nghiệp trung học phổ thông",
        institution=f"Trường THPT {_pick(draw, _SCHOOL_NAMESAKES)}",
        year=born.year + 18,
    )
    graduated = born.year + _between(draw, 22, 24)
    if graduated <= today.year and draw() < 0.5:
        credential, institution = _pick(draw, UNIVERSITIES)
        return (school, EducationRecord(credential, institution, graduated))
    return (school,)


def _vaccinations(
    draw: Callable[[], float], born: date, today: date
) -> tuple[VaccinationRecord, ...]:
    """COVID-19 doses of the 2021–2022 campaign, for those old enough at the time."""
    first = date(2021, 7, 1) + timedelta(days=int(draw() * 120))
    if born > first - timedelta(days=365 * 12) or first > today:
        return ()
    vaccine = f"COVID-19 ({_pick(draw, COVID_VACCINES)})"
    second = first + timedelta(weeks=_between(draw, 4, 12))
    if draw() >= 0.9 or second > today:
        return (VaccinationRecord(vaccine, 1, first),)
    third = second + timedelta(days=_between(draw, 120, 240))
    if draw() >= 0.6 or third > today:
        return (VaccinationRecord(vaccine, 1, first), VaccinationRecord(vaccine, 2, second))
    return (
        VaccinationRecord(vaccine, 1, first),
        VaccinationRecord(vaccine, 2, second),
        VaccinationRecord(vaccine, 3, third),
    )


_SCHOOL_NAMESAKES: Final = (
    "Chu Văn An", "Nguyễn Trãi", "Lê Quý Đôn", "Trần Phú", "Phan Bội Châu", "Nguyễn Du",
    "Lê Hồng Phong", "Trần Hưng Đạo", "Nguyễn Huệ", "Lương Thế Vinh", "Hùng Vương",
)  # fmt: skip


def _cumulative(weighted: Sequence[tuple[str, float]]) -> tuple[list[str], list[float]]:
    names = [name for name, _ in weighted]
    return names, list(itertools.accumulate(weight for _, weight in weighted))


def _day_between(draw: Callable[[], float], first: date, last: date) -> date:
    return date.fromordinal(first.toordinal() + int(draw() * (max((last - first).days, 0) + 1)))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@functools.cache  # bounded: the names come from fixed tables
def _ascii(text: str) -> str:
    """Vietnamese text without its diacritics, as people write it in e-mail addresses."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())
