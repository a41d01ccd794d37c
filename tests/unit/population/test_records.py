"""Validation of one record of the JSON Lines import format: a valid document, broken one field
at a time."""

from __future__ import annotations

import copy
import re
import unicodedata
from datetime import date
from typing import Any

import pytest

from idp.population.records import (
    CitizenRecord,
    FieldError,
    InvalidRecord,
    parse_record,
    to_document,
)

DELETE = object()


def valid_document() -> dict[str, Any]:
    return {
        "citizen_id": "087084000999",
        "family_name": "Nguyễn",
        "middle_name": "Văn",
        "given_name": "An",
        "birth_date": "1984-05-17",
        "gender": "male",
        "nationality": "VN",
        "place_of_origin": "Xã Tân An, Đồng Tháp",
        "street_address": "Số 12 Đường Nguyễn Huệ",
        "locality": "Phường An Bình",
        "region": "Đồng Tháp",
        "country": "VN",
        "phone": "+84912345678",
        "email": "an.nguyen@example.com",
        "health_insurance": {
            "number": "DN4870871234567",
            "valid_from": "2025-01-01",
            "valid_until": "2025-12-31",
            "registered_facility": "Bệnh viện Đa khoa Đồng Tháp",
        },
        "social_insurance": {"number": "8701234567"},
        "driving_licenses": [
            {
                "number": "870123456789",
                "class": "A1",
                "issued_on": "2003-06-01",
                "expires_on": None,
                "status": "valid",
            },
            {
                "number": "870123456790",
                "class": "B2",
                "issued_on": "2010-02-01",
                "expires_on": "2020-02-01",
                "status": "expired",
            },
        ],
        "vehicles": [
            {
                "plate": "66-B1 123.45",
                "type": "Xe máy",
                "brand": "Honda",
                "registered_on": "2004-01-15",
            }
        ],
        "education": [
            {
                "credential": "Bằng cử nhân Kinh tế",
                "institution": "Trường Đại học Kinh tế Quốc dân",
                "year": 2006,
            }
        ],
        "vaccinations": [
            {"vaccine": "COVID-19 (AstraZeneca)", "dose": 1, "date": "2021-08-01"},
            {"vaccine": "COVID-19 (AstraZeneca)", "dose": 2, "date": "2021-10-01"},
        ],
    }


def broken(path: str, value: object) -> dict[str, Any]:
    """A valid document with the field at ``path`` (``a.b``, ``a[0].b``) set to ``value``."""
    document = valid_document()
    keys: list[str | int] = [
        int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", path)
    ]
    parent: Any = document
    for key in keys[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[keys[-1]]
    else:
        parent[keys[-1]] = value
    return document


def errors_of(document: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidRecord) as raised:
        parse_record(document)
    return [(error.field, error.reason) for error in raised.value.errors]


def the_error(document: object) -> tuple[str, str]:
    errors = errors_of(document)
    assert len(errors) == 1, errors
    return errors[0]


def test_a_valid_document_becomes_a_record() -> None:
    record = parse_record(valid_document())

    assert isinstance(record, CitizenRecord)
    assert record.citizen_id == "087084000999"
    assert record.birth_date == date(1984, 5, 17)
    assert record.driving_licenses[0].license_class == "A1"
    assert record.driving_licenses[0].expires_on is None
    assert record.vehicles[0].vehicle_type == "Xe máy"
    assert record.vaccinations[1].given_on == date(2021, 10, 1)


def test_to_document_gives_back_the_document() -> None:
    assert to_document(parse_record(valid_document())) == valid_document()


def test_the_least_a_record_needs() -> None:
    document = valid_document()
    for key in (
        "middle_name", "nationality", "country", "phone", "email", "health_insurance",
        "social_insurance", "driving_licenses", "vehicles", "education", "vaccinations",
    ):  # fmt: skip
        del document[key]

    record = parse_record(document)

    assert record.middle_name == ""
    assert (record.nationality, record.country) == ("VN", "VN")
    assert record.phone is None
    assert record.email is None
    assert record.health_insurance is None
    assert record.social_insurance is None
    assert record.driving_licenses == ()
    assert record.vehicles == ()
    assert record.education == ()


def test_null_means_absent_for_optional_fields() -> None:
    document = valid_document()
    for key in ("phone", "email", "health_insurance", "social_insurance", "vehicles"):
        document[key] = None
    record = parse_record(document)
    assert record.phone is None
    assert record.health_insurance is None
    assert record.vehicles == ()


def test_text_is_stripped_and_normalised_to_nfc() -> None:
    document = broken("given_name", "  " + unicodedata.normalize("NFD", "Hương") + " ")
    assert parse_record(document).given_name == unicodedata.normalize("NFC", "Hương")


def test_names_of_ethnic_minorities_may_hold_apostrophes_and_hyphens() -> None:
    record = parse_record(broken("given_name", "H'Hen"))
    assert record.given_name == "H'Hen"
    assert parse_record(broken("family_name", "Niê-Kdăm")).family_name == "Niê-Kdăm"


def test_spaces_other_than_line_breaks_are_text() -> None:
    record = parse_record(broken("street_address", "Số 12\u00a0Đường Nguyễn Huệ"))
    assert record.street_address == "Số 12\u00a0Đường Nguyễn Huệ"


def test_an_empty_middle_name_is_no_middle_name() -> None:
    assert parse_record(broken("middle_name", "")).middle_name == ""


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("citizen_id", DELETE, "citizen_id", "is required"),
        ("citizen_id", None, "citizen_id", "is required"),
        ("citizen_id", 87084000999, "citizen_id", "must be a string"),
        ("citizen_id", "8708400099", "citizen_id", "must be exactly 12 digits, not 10"),
        ("citizen_id", "003084000999", "citizen_id", "only province codes are known"),
        ("family_name", "", "family_name", "must not be empty"),
        ("family_name", "   ", "family_name", "must not be empty"),
        ("family_name", "N" * 101, "family_name", "must be at most 100 characters, not 101"),
        ("family_name", "Nguyễn2", "family_name", "only letters, spaces, hyphens"),
        ("given_name", "An\tBình", "given_name", "control characters"),
        ("given_name", DELETE, "given_name", "is required"),
        ("middle_name", "Văn!", "middle_name", "only letters"),
        ("birth_date", "17/05/1984", "birth_date", "must be a date written YYYY-MM-DD"),
        ("birth_date", "19840517", "birth_date", "must be a date written YYYY-MM-DD"),
        ("birth_date", "1984-02-30", "birth_date", "is not a date of the calendar"),
        ("birth_date", "1899-12-31", "birth_date", "must be from 1900-01-01 to today"),
        ("birth_date", "2999-01-01", "birth_date", "must be from 1900-01-01 to today"),
        ("gender", "Male", "gender", "must be one of: male, female"),
        ("gender", "other", "gender", "must be one of: male, female"),
        ("nationality", "vn", "nationality", "two capital letters"),
        ("nationality", "VNM", "nationality", "at most 2 characters"),
        ("country", "V1", "country", "two capital letters"),
        ("place_of_origin", "x" * 201, "place_of_origin", "at most 200 characters"),
        ("street_address", "line one\nline two", "street_address", "line breaks"),
        ("street_address", "one\u2028two", "street_address", "line breaks"),
        ("street_address", "zero\u200bwidth", "street_address", "control characters"),
        ("locality", "", "locality", "must not be empty"),
        ("region", 7, "region", "must be a string"),
        ("phone", "", "phone", "must not be empty; leave it out instead"),
        ("phone", "+84 912 345 678", "phone", "must be digits only"),
        ("phone", "912345678", "phone", "must be digits only"),
        ("phone", "+0912345678", "phone", "must be digits only"),
        ("phone", "+8491234567891234", "phone", "must be digits only"),
        ("email", "an.nguyen", "email", "must be an e-mail address"),
        ("email", "an nguyen@example.com", "email", "must be an e-mail address"),
        ("email", "an@localhost", "email", "must be an e-mail address"),
        ("email", "a" * 65 + "@example.com", "email", "at most 64 characters before the @"),
        ("health_insurance", "DN487", "health_insurance", "must be an object"),
        ("health_insurance.number", "", "health_insurance.number", "must not be empty"),
        ("health_insurance.number", "DN-487", "health_insurance.number", "letters A–Z and digits"),
        ("health_insurance.number", "D" * 21, "health_insurance.number", "at most 20"),
        ("health_insurance.valid_from", DELETE, "health_insurance.valid_from", "is required"),
        ("health_insurance.valid_until", "2024-12-31", "health_insurance.valid_until",
         "must not be before valid_from"),
        ("health_insurance.registered_facility", None, "health_insurance.registered_facility",
         "is required"),
        ("health_insurance.clinic", "x", "health_insurance.clinic",
         "is not a field of this format"),
        ("social_insurance.number", "87 0123", "social_insurance.number", "letters A–Z and digits"),
        ("driving_licenses", {"number": "1"}, "driving_licenses", "must be an array"),
        ("driving_licenses[1]", "B2", "driving_licenses[1]", "must be an object"),
        ("driving_licenses[0].number", "", "driving_licenses[0].number", "must not be empty"),
        ("driving_licenses[0].class", "A1B2C", "driving_licenses[0].class", "at most 4"),
        ("driving_licenses[0].issued_on", "2003-13-01", "driving_licenses[0].issued_on",
         "is not a date of the calendar"),
        ("driving_licenses[0].issued_on", "1980-01-01", "driving_licenses[0].issued_on",
         "must not be before birth_date"),
        ("driving_licenses[0].issued_on", "2999-01-01", "driving_licenses[0].issued_on",
         "must not be in the future"),
        ("driving_licenses[1].expires_on", "2009-01-01", "driving_licenses[1].expires_on",
         "must not be before issued_on"),
        ("driving_licenses[0].status", "ok", "driving_licenses[0].status",
         "must be one of: valid, suspended, revoked, expired"),
        ("vehicles[0].plate", "66-b1 123.45", "vehicles[0].plate", "only capital letters"),
        ("vehicles[0].plate", "66_B1", "vehicles[0].plate", "only capital letters"),
        ("vehicles[0].type", "x" * 31, "vehicles[0].type", "at most 30"),
        ("vehicles[0].brand", "x" * 51, "vehicles[0].brand", "at most 50"),
        ("vehicles[0].registered_on", "2999-01-01", "vehicles[0].registered_on",
         "must not be in the future"),
        ("education[0].credential", "", "education[0].credential", "must not be empty"),
        ("education[0].institution", DELETE, "education[0].institution", "is required"),
        ("education[0].year", "2006", "education[0].year", "must be a whole number"),
        ("education[0].year", 2006.0, "education[0].year", "must be a whole number"),
        ("education[0].year", True, "education[0].year", "must be a whole number"),
        ("education[0].year", 1983, "education[0].year", "must be from 1984 to"),
        ("vaccinations[0].vaccine", "v" * 101, "vaccinations[0].vaccine", "at most 100"),
        ("vaccinations[0].dose", 0, "vaccinations[0].dose", "must be from 1 to 99"),
        ("vaccinations[1].date", "2021-10-1", "vaccinations[1].date", "YYYY-MM-DD"),
        ("vaccinations[1].date", "1984-05-16", "vaccinations[1].date",
         "must not be before birth_date"),
        ("birthdate", "1984-05-17", "birthdate", "is not a field of this format"),
    ],
)  # fmt: skip
def test_each_bad_field_is_reported_by_its_path(
    path: str, value: object, field: str, reason: str
) -> None:
    error_field, error_reason = the_error(broken(path, value))
    assert error_field == field
    assert reason in error_reason


def test_the_number_must_agree_with_gender_and_birth_date() -> None:
    assert the_error(broken("gender", "female")) == (
        "citizen_id",
        "the 4th digit is 0, which means male born 1900–1999, but the record says female",
    )
    field, reason = the_error(broken("birth_date", "1985-05-17"))
    assert (field, reason) == (
        "citizen_id",
        "digits 5–6 are 84, the year of birth, but the record says born in 1985",
    )


def test_a_bad_gender_is_not_also_blamed_on_the_number() -> None:
    assert the_error(broken("gender", "x"))[0] == "gender"


def test_every_problem_is_reported_in_field_order() -> None:
    document = valid_document()
    document["family_name"] = ""
    document["email"] = "nope"
    document["driving_licenses"][1]["status"] = "?"
    document["vaccinations"][0]["dose"] = -1

    assert [field for field, _ in errors_of(document)] == [
        "family_name",
        "email",
        "driving_licenses[1].status",
        "vaccinations[0].dose",
    ]


@pytest.mark.parametrize("document", [[], "text", 12, None])
def test_a_record_must_be_an_object(document: object) -> None:
    assert the_error(document) == ("(record)", "must be a JSON object")


def test_errors_read_as_field_colon_reason() -> None:
    assert str(FieldError("vehicles[0].plate", "must not be empty")) == (
        "vehicles[0].plate: must not be empty"
    )
    with pytest.raises(InvalidRecord, match=r"^gender: must be one of: male, female$"):
        parse_record(broken("gender", "x"))


def test_the_input_document_is_not_changed() -> None:
    document = valid_document()
    before = copy.deepcopy(document)
    parse_record(document)
    assert document == before
