"""One citizen record of the JSON Lines import format (docs/population-format.md): its typed form,
validation of a decoded JSON object into it, and the way back to JSON.

Validation checks only what is certain: presence, type, the column sizes of the models, character
sets, ISO dates, the citizen-ID number's structure, and dates that contradict each other. It
invents no format for insurance numbers, licence numbers or plates. It collects every problem of a
record, each as a field path (``driving_licenses[0].issued_on``) and a reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from idp import clock
from idp.population.citizen_id import GENDERS, InvalidCitizenId, check_citizen_id

LICENSE_STATUSES: Final = ("valid", "suspended", "revoked", "expired")
DEFAULT_COUNTRY: Final = "VN"
FIRST_BIRTH_YEAR: Final = 1900
HIGHEST_DOSE: Final = 99
WHOLE_RECORD: Final = "(record)"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field; ``field`` is a dotted path into the record."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class InvalidRecord(ValueError):  # noqa: N818 - named like InvalidCitizenId
    """A record with at least one problem; ``errors`` lists them all, in field order."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True)
class HealthInsuranceRecord:
    number: str
    valid_from: date
    valid_until: date
    registered_facility: str


@dataclass(frozen=True, slots=True)
class SocialInsuranceRecord:
    number: str


@dataclass(frozen=True, slots=True)
class DrivingLicenseRecord:
    number: str
    license_class: str
    issued_on: date
    expires_on: date | None
    status: str


@dataclass(frozen=True, slots=True)
class VehicleRecord:
    plate: str
    vehicle_type: str
    brand: str
    registered_on: date


@dataclass(frozen=True, slots=True)
class EducationRecord:
    credential: str
    institution: str
    year: int


@dataclass(frozen=True, slots=True)
class VaccinationRecord:
    vaccine: str
    dose: int
    given_on: date


@dataclass(frozen=True, slots=True)
class CitizenRecord:
    """A citizen and their linked records; attribute names are the models' column names."""

    citizen_id: str
    family_name: str
    middle_name: str
    given_name: str
    birth_date: date
    gender: str
    nationality: str
    place_of_origin: str
    street_address: str
    locality: str
    region: str
    country: str
    phone: str | None
    email: str | None
    health_insurance: HealthInsuranceRecord | None = None
    social_insurance: SocialInsuranceRecord | None = None
    driving_licenses: tuple[DrivingLicenseRecord, ...] = ()
    vehicles: tuple[VehicleRecord, ...] = ()
    education: tuple[EducationRecord, ...] = ()
    vaccinations: tuple[VaccinationRecord, ...] = ()


# --- character sets: each rule returns why a (stripped, NFC) value fails, or None -------------

TextRule = Callable[[str], str | None]

_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COUNTRY_CODE: Final = re.compile(r"[A-Z]{2}")
_ASCII_LETTERS_AND_DIGITS: Final = re.compile(r"[A-Za-z0-9]+")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
# E.164 (at most 15 digits, no leading 0) or a national number with its trunk prefix 0.
_PHONE: Final = re.compile(r"\+[1-9][0-9]{6,14}|0[0-9]{8,10}")
# Control, format, surrogate, private-use and unassigned characters, and line and paragraph breaks.
_NOT_IN_ONE_LINE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_NAME_PUNCTUATION: Final = frozenset(" -'’")
_PLATE_PUNCTUATION: Final = frozenset(" -.")


def single_line(value: str) -> str | None:
    if value.isprintable():  # fast path: no character of the categories C or Z but the space
        return None
    if any(unicodedata.category(character) in _NOT_IN_ONE_LINE for character in value):
        return "must not contain control characters or line breaks"
    return None


def personal_name(value: str) -> str | None:
    if not all(
        character in _NAME_PUNCTUATION or unicodedata.category(character)[0] in "LM"
        for character in value
    ):
        return "must contain only letters, spaces, hyphens and apostrophes"
    return None


def ascii_letters_and_digits(value: str) -> str | None:
    if _ASCII_LETTERS_AND_DIGITS.fullmatch(value) is None:
        return "must contain only the letters A–Z and digits 0–9"
    return None


def plate(value: str) -> str | None:
    if not all(
        character in _PLATE_PUNCTUATION
        or (character.isupper() and character.isalpha())
        or "0" <= character <= "9"
        for character in value
    ):
        return "must contain only capital letters, digits, spaces, '-' and '.'"
    return None


def country_code(value: str) -> str | None:
    if _COUNTRY_CODE.fullmatch(value) is None:
        return "must be an ISO 3166-1 alpha-2 code: two capital letters, such as VN"
    return None


def email_address(value: str) -> str | None:
    if _EMAIL.fullmatch(value) is None:
        return "must be an e-mail address: name@domain.tld, without spaces"
    if len(value.partition("@")[0]) > 64:
        return "must have at most 64 characters before the @"
    return None


def phone_number(value: str) -> str | None:
    if _PHONE.fullmatch(value) is None:
        return (
            "must be digits only: +country code and number (E.164, at most 15 digits, "
            "such as +84912345678), or a Vietnamese number starting with 0"
        )
    return None


# --- reading one JSON object, collecting every problem ----------------------------------------

_MISSING: Final = object()


class _Fields:
    """Reads typed values out of one JSON object into a shared error list.

    A value that fails gives a placeholder and an error, so that reading goes on and every problem
    is reported; the record is built only when there are none.
    """

    def __init__(
        self, raw: Mapping[str, object], path: str, errors: list[FieldError], known: tuple[str, ...]
    ) -> None:
        self.raw = raw
        self.path = path
        self.errors = errors
        self.failed: set[str] = set()
        for key in sorted(set(raw) - set(known)):
            self._fail(key, "is not a field of this format")

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _fail(self, key: str, reason: str) -> None:
        self.failed.add(key)
        self.errors.append(FieldError(self.where(key), reason))

    def fail(self, key: str, reason: str) -> None:
        """Report a problem found by a check across fields."""
        self._fail(key, reason)

    def valid(self, *keys: str) -> bool:
        return not self.failed.intersection(keys)

    def _present(self, key: str, *, required: bool) -> object:
        value = self.raw.get(key)
        if value is None:
            if required:
                self._fail(key, "is required")
            return _MISSING
        return value

    def text(self, key: str, max_length: int, *rules: TextRule) -> str:
        value = self.optional_text(key, max_length, *rules, required=True)
        return value if value is not None else ""

    def optional_text(
        self,
        key: str,
        max_length: int,
        *rules: TextRule,
        required: bool = False,
        empty_allowed: bool = False,
    ) -> str | None:
        value = self._present(key, required=required)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self._fail(key, "must be a string")
            return None
        text = unicodedata.normalize("NFC", value).strip()
        if not text and empty_allowed:
            return ""
        if not text:
            self._fail(key, "must not be empty" + ("" if required else "; leave it out instead"))
            return None
        if len(text) > max_length:
            self._fail(key, f"must be at most {max_length} characters, not {len(text)}")
            return None
        for rule in (single_line, *rules):
            reason = rule(text)
            if reason is not None:
                self._fail(key, reason)
                return None
        return text

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self._present(key, required=True)
        if value is _MISSING:
            return ""
        if value not in options:
            self._fail(key, f"must be one of: {', '.join(options)}")
            return ""
        assert isinstance(value, str)
        return value

    def iso_date(self, key: str) -> date:
        value = self.optional_iso_date(key, required=True)
        return value if value is not None else date.min

    def optional_iso_date(self, key: str, *, required: bool = False) -> date | None:
        value = self._present(key, required=required)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or _ISO_DATE.fullmatch(value) is None:
            self._fail(key, "must be a date written YYYY-MM-DD")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self._fail(key, "is not a date of the calendar")
            return None

    def whole_number(self, key: str, lowest: int, highest: int) -> int:
        value = self._present(key, required=True)
        if value is _MISSING:
            return 0
        if not isinstance(value, int) or isinstance(value, bool):
            self._fail(key, "must be a whole number")
            return 0
        if not lowest <= value <= highest:
            self._fail(key, f"must be from {lowest} to {highest}")
            return 0
        return value

    def optional_object(self, key: str) -> Mapping[str, object] | None:
        value = self._present(key, required=False)
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            self._fail(key, "must be an object")
            return None
        return value

    def array_of_objects(self, key: str) -> list[tuple[str, Mapping[str, object]]]:
        """The objects of an optional array, each with its path (``key[i]``)."""
        value = self._present(key, required=False)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self._fail(key, "must be an array")
            return []
        items: list[tuple[str, Mapping[str, object]]] = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                items.append((f"{key}[{index}]", item))
            else:
                self._fail(f"{key}[{index}]", "must be an object")
        return items

    def nested(self, path: str, raw: Mapping[str, object], known: tuple[str, ...]) -> _Fields:
        return _Fields(raw, self.where(path), self.errors, known)


# JSON keys of each object, in the order of docs/population-format.md.
CITIZEN_KEYS: Final = (
    "citizen_id", "family_name", "middle_name", "given_name", "birth_date", "gender",
    "nationality", "place_of_origin", "street_address", "locality", "region", "country",
    "phone", "email", "health_insurance", "social_insurance", "driving_licenses", "vehicles",
    "education", "vaccinations",
)  # fmt: skip
HEALTH_INSURANCE_KEYS: Final = ("number", "valid_from", "valid_until", "registered_facility")
SOCIAL_INSURANCE_KEYS: Final = ("number",)
DRIVING_LICENSE_KEYS: Final = ("number", "class", "issued_on", "expires_on", "status")
VEHICLE_KEYS: Final = ("plate", "type", "brand", "registered_on")
EDUCATION_KEYS: Final = ("credential", "institution", "year")
VACCINATION_KEYS: Final = ("vaccine", "dose", "date")


def parse_record(raw: object) -> CitizenRecord:
    """Validate one decoded JSON value into a record; :class:`InvalidRecord` lists every problem.

    Text is NFC-normalised and stripped of surrounding whitespace before it is checked.
    """
    if not isinstance(raw, dict):
        raise InvalidRecord([FieldError(WHOLE_RECORD, "must be a JSON object")])
    errors: list[FieldError] = []
    today = clock.now().date()
    fields = _Fields(raw, "", errors, CITIZEN_KEYS)

    # Generous here: check_citizen_id says precisely what is wrong with a number.
    number = fields.text("citizen_id", 64)
    family_name = fields.text("family_name", 100, personal_name)
    middle_name = fields.optional_text("middle_name", 100, personal_name, empty_allowed=True) or ""
    given_name = fields.text("given_name", 100, personal_name)
    birth_date = fields.iso_date("birth_date")
    if fields.valid("birth_date") and not date(FIRST_BIRTH_YEAR, 1, 1) <= birth_date <= today:
        fields.fail("birth_date", f"must be from {FIRST_BIRTH_YEAR}-01-01 to today")
    gender = fields.choice("gender", GENDERS)
    if fields.valid("citizen_id"):
        try:
            check_citizen_id(
                number,
                gender=gender if fields.valid("gender") else None,
                birth_date=birth_date if fields.valid("birth_date") else None,
            )
        except InvalidCitizenId as invalid:
            fields.fail("citizen_id", invalid.reason)
    nationality = fields.optional_text("nationality", 2, country_code) or DEFAULT_COUNTRY
    place_of_origin = fields.text("place_of_origin", 200)
    street_address = fields.text("street_address", 200)
    locality = fields.text("locality", 100)
    region = fields.text("region", 100)
    country = fields.optional_text("country", 2, country_code) or DEFAULT_COUNTRY
    phone = fields.optional_text("phone", 20, phone_number)
    email = fields.optional_text("email", 254, email_address)

    born = birth_date if fields.valid("birth_date") else None
    health_insurance = _health_insurance(fields)
    social_insurance = _social_insurance(fields)
    licenses = tuple(
        _driving_license(fields.nested(path, item, DRIVING_LICENSE_KEYS), born, today)
        for path, item in fields.array_of_objects("driving_licenses")
    )
    vehicles = tuple(
        _vehicle(fields.nested(path, item, VEHICLE_KEYS), today)
        for path, item in fields.array_of_objects("vehicles")
    )
    education = tuple(
        _education(fields.nested(path, item, EDUCATION_KEYS), born, today)
        for path, item in fields.array_of_objects("education")
    )
    vaccinations = tuple(
        _vaccination(fields.nested(path, item, VACCINATION_KEYS), born, today)
        for path, item in fields.array_of_objects("vaccinations")
    )

    if errors:
        raise InvalidRecord(errors)
    return CitizenRecord(
        citizen_id=number,
        family_name=family_name,
        middle_name=middle_name,
        given_name=given_name,
        birth_date=birth_date,
        gender=gender,
        nationality=nationality,
        place_of_origin=place_of_origin,
        street_address=street_address,
        locality=locality,
        region=region,
        country=country,
        phone=phone,
        email=email,
        health_insurance=health_insurance,
        social_insurance=social_insurance,
        driving_licenses=licenses,
        vehicles=vehicles,
        education=education,
        vaccinations=vaccinations,
    )


def _health_insurance(parent: _Fields) -> HealthInsuranceRecord | None:
    raw = parent.optional_object("health_insurance")
    if raw is None:
        return None
    fields = parent.nested("health_insurance", raw, HEALTH_INSURANCE_KEYS)
    record = HealthInsuranceRecord(
        number=fields.text("number", 20, ascii_letters_and_digits),
        valid_from=fields.iso_date("valid_from"),
        valid_until=fields.iso_date("valid_until"),
        registered_facility=fields.text("registered_facility", 200),
    )
    if fields.valid("valid_from", "valid_until") and record.valid_until < record.valid_from:
        fields.fail("valid_until", "must not be before valid_from")
    return record


def _social_insurance(parent: _Fields) -> SocialInsuranceRecord | None:
    raw = parent.optional_object("social_insurance")
    if raw is None:
        return None
    fields = parent.nested("social_insurance", raw, SOCIAL_INSURANCE_KEYS)
    return SocialInsuranceRecord(number=fields.text("number", 20, ascii_letters_and_digits))


def _driving_license(fields: _Fields, born: date | None, today: date) -> DrivingLicenseRecord:
    record = DrivingLicenseRecord(
        number=fields.text("number", 20, ascii_letters_and_digits),
        license_class=fields.text("class", 4, ascii_letters_and_digits),
        issued_on=fields.iso_date("issued_on"),
        expires_on=fields.optional_iso_date("expires_on"),
        status=fields.choice("status", LICENSE_STATUSES),
    )
    _not_before_birth_nor_future(fields, "issued_on", record.issued_on, born, today)
    if (
        record.expires_on is not None
        and fields.valid("issued_on", "expires_on")
        and record.expires_on < record.issued_on
    ):
        fields.fail("expires_on", "must not be before issued_on")
    return record


def _vehicle(fields: _Fields, today: date) -> VehicleRecord:
    record = VehicleRecord(
        plate=fields.text("plate", 20, plate),
        vehicle_type=fields.text("type", 30),
        brand=fields.text("brand", 50),
        registered_on=fields.iso_date("registered_on"),
    )
    # A vehicle may have been registered before its owner was born, to someone else.
    _not_before_birth_nor_future(fields, "registered_on", record.registered_on, None, today)
    return record


def _education(fields: _Fields, born: date | None, today: date) -> EducationRecord:
    lowest = born.year if born is not None else FIRST_BIRTH_YEAR
    return EducationRecord(
        credential=fields.text("credential", 200),
        institution=fields.text("institution", 200),
        year=fields.whole_number("year", lowest, today.year),
    )


def _vaccination(fields: _Fields, born: date | None, today: date) -> VaccinationRecord:
    record = VaccinationRecord(
        vaccine=fields.text("vaccine", 100),
        dose=fields.whole_number("dose", 1, HIGHEST_DOSE),
        given_on=fields.iso_date("date"),
    )
    _not_before_birth_nor_future(fields, "date", record.given_on, born, today)
    return record


def _not_before_birth_nor_future(
    fields: _Fields, key: str, value: date, born: date | None, today: date
) -> None:
    if not fields.valid(key):
        return
    if value > today:
        fields.fail(key, "must not be in the future")
    elif born is not None and value < born:
        fields.fail(key, "must not be before birth_date")


def to_document(record: CitizenRecord) -> dict[str, object]:
    """The record as one JSON object of the import format: every key, ``null`` or ``[]`` when
    there is nothing, dates as ``YYYY-MM-DD``. :func:`parse_record` reads it back unchanged."""
    health = record.health_insurance
    social = record.social_insurance
    return {
        "citizen_id": record.citizen_id,
        "family_name": record.family_name,
        "middle_name": record.middle_name,
        "given_name": record.given_name,
        "birth_date": record.birth_date.isoformat(),
        "gender": record.gender,
        "nationality": record.nationality,
        "place_of_origin": record.place_of_origin,
        "street_address": record.street_address,
        "locality": record.locality,
        "region": record.region,
        "country": record.country,
        "phone": record.phone,
        "email": record.email,
        "health_insurance": None
        if health is None
        else {
            "number": health.number,
            "valid_from": health.valid_from.isoformat(),
            "valid_until": health.valid_until.isoformat(),
            "registered_facility": health.registered_facility,
        },
        "social_insurance": None if social is None else {"number": social.number},
        "driving_licenses": [
            {
                "number": licence.number,
                "class": licence.license_class,
                "issued_on": licence.issued_on.isoformat(),
                "expires_on": None
                if licence.expires_on is None
                else licence.expires_on.isoformat(),
                "status": licence.status,
            }
            for licence in record.driving_licenses
        ],
        "vehicles": [
            {
                "plate": vehicle.plate,
                "type": vehicle.vehicle_type,
                "brand": vehicle.brand,
                "registered_on": vehicle.registered_on.isoformat(),
            }
            for vehicle in record.vehicles
        ],
        "education": [
            {"credential": item.credential, "institution": item.institution, "year": item.year}
            for item in record.education
        ],
        "vaccinations": [
            {"vaccine": shot.vaccine, "dose": shot.dose, "date": shot.given_on.isoformat()}
            for shot in record.vaccinations
        ],
    }
