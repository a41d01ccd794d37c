"""The projection of a citizen into OIDC claims (DESIGN.md §3, claims catalogue)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from idp.consent.catalogue import claims_for
from idp.models.population import (
    Citizen,
    DrivingLicense,
    EducationCredential,
    HealthInsurance,
    SocialInsurance,
    Vaccination,
    Vehicle,
)
from idp.population.registry import as_document, project_claims

STANDARD_CLAIMS = pytest.mark.spec("OIDC-Core-5.1")
EVERY_CLAIM = claims_for(
    [
        "openid", "profile", "address", "phone", "email", "citizen_id", "health_insurance",
        "social_insurance", "driving_license", "vehicle_registration", "education", "vaccination",
    ]
)  # fmt: skip


def bare_citizen(**changes: object) -> Citizen:
    """A citizen with no optional data at all: no middle name, contacts or linked records."""
    values: dict[str, object] = {
        "citizen_id": "001190012345",
        "family_name": "Trần",
        "middle_name": "",
        "given_name": "Mai",
        "birth_date": date(1990, 2, 3),
        "gender": "female",
        "nationality": "VN",
        "place_of_origin": "Xã An Phú, Hà Nội",
        "street_address": "Số 5 Phố Huế",
        "locality": "Phường Hoàng Mai",
        "region": "Hà Nội",
        "country": "VN",
        "phone": None,
        "email": None,
        "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
    }
    values.update(changes)
    return Citizen(**values)


def full_citizen() -> Citizen:
    return bare_citizen(
        middle_name="Thị Ngọc",
        phone="0912345678",
        email="mai.tran@example.com",
        health_insurance=HealthInsurance(
            number="DN4010012345678",
            valid_from=date(2025, 1, 1),
            valid_until=date(2025, 12, 31),
            registered_facility="Bệnh viện Bạch Mai",
        ),
        social_insurance=SocialInsurance(number="0112345678"),
        driving_licenses=[
            DrivingLicense(
                number="010123456789",
                license_class="A1",
                issued_on=date(2009, 1, 5),
                expires_on=None,
                status="valid",
            ),
            DrivingLicense(
                number="010123456790",
                license_class="B2",
                issued_on=date(2012, 4, 1),
                expires_on=date(2022, 4, 1),
                status="expired",
            ),
        ],
        vehicles=[
            Vehicle(
                plate="29-B1 123.45",
                vehicle_type="Xe máy",
                brand="Honda",
                registered_on=date(2010, 6, 1),
            )
        ],
        education=[
            EducationCredential(
                credential="Bằng cử nhân Luật", institution="Trường Đại học Luật Hà Nội", year=2012
            )
        ],
        vaccinations=[
            Vaccination(vaccine="COVID-19 (Pfizer-BioNTech)", dose=1, given_on=date(2021, 8, 2))
        ],
    )


@STANDARD_CLAIMS
def test_every_claim_of_a_citizen_with_every_record() -> None:
    assert project_claims(full_citizen(), EVERY_CLAIM) == {
        "name": "Trần Thị Ngọc Mai",
        "family_name": "Trần",
        "middle_name": "Thị Ngọc",
        "given_name": "Mai",
        "birthdate": "1990-02-03",
        "gender": "female",
        "nationality": "VN",
        "address": {
            "formatted": "Số 5 Phố Huế, Phường Hoàng Mai, Hà Nội, Việt Nam",
            "street_address": "Số 5 Phố Huế",
            "locality": "Phường Hoàng Mai",
            "region": "Hà Nội",
            "country": "VN",
        },
        "phone_number": "+84912345678",
        "phone_number_verified": True,
        "email": "mai.tran@example.com",
        "email_verified": True,
        "citizen_id": "001190012345",
        "health_insurance": {
            "number": "DN4010012345678",
            "valid_from": "2025-01-01",
            "valid_until": "2025-12-31",
            "registered_facility": "Bệnh viện Bạch Mai",
        },
        "social_insurance": {"number": "0112345678"},
        "driving_licenses": [
            {"number": "010123456789", "class": "A1", "issued_on": "2009-01-05", "status": "valid"},
            {
                "number": "010123456790",
                "class": "B2",
                "issued_on": "2012-04-01",
                "expires_on": "2022-04-01",
                "status": "expired",
            },
        ],
        "vehicles": [
            {
                "plate": "29-B1 123.45",
                "type": "Xe máy",
                "brand": "Honda",
                "registered_on": "2010-06-01",
            }
        ],
        "education": [
            {
                "credential": "Bằng cử nhân Luật",
                "institution": "Trường Đại học Luật Hà Nội",
                "year": 2012,
            }
        ],
        "vaccinations": [
            {"vaccine": "COVID-19 (Pfizer-BioNTech)", "dose": 1, "date": "2021-08-02"}
        ],
    }


@pytest.mark.parametrize(
    ("scopes", "claims"),
    [
        (["profile"], {"name", "family_name", "middle_name", "given_name", "birthdate", "gender",
                       "nationality"}),
        (["address"], {"address"}),
        (["phone"], {"phone_number", "phone_number_verified"}),
        (["email"], {"email", "email_verified"}),
        (["citizen_id"], {"citizen_id"}),
        (["health_insurance", "vaccination"], {"health_insurance", "vaccinations"}),
        (["driving_license"], {"driving_licenses"}),
    ],
)  # fmt: skip
def test_only_the_requested_claims_are_produced(scopes: list[str], claims: set[str]) -> None:
    assert set(project_claims(full_citizen(), claims_for(scopes))) == claims


def test_nothing_requested_nothing_produced() -> None:
    assert project_claims(full_citizen(), frozenset()) == {}


def test_claims_outside_the_registry_are_ignored() -> None:
    assert project_claims(full_citizen(), frozenset({"sub", "acr", "citizen_id"})) == {
        "citizen_id": "001190012345"
    }


def test_absent_data_leaves_the_claim_out_rather_than_null() -> None:
    claims = project_claims(bare_citizen(), EVERY_CLAIM)

    for absent in (
        "middle_name", "phone_number", "phone_number_verified", "email", "email_verified",
        "health_insurance", "social_insurance", "driving_licenses", "vehicles", "education",
        "vaccinations",
    ):  # fmt: skip
        assert absent not in claims
    assert None not in claims.values()
    assert claims["name"] == "Trần Mai"


@STANDARD_CLAIMS
@pytest.mark.parametrize(
    ("stored", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("+84912345678", "+84912345678"),
        ("+6591234567", "+6591234567"),
    ],
)
def test_phone_numbers_are_released_in_e164(stored: str, e164: str) -> None:
    claims = project_claims(bare_citizen(phone=stored), frozenset({"phone_number"}))
    assert claims == {"phone_number": e164}


def test_a_foreign_address_names_its_country_by_code() -> None:
    citizen = bare_citizen(
        street_address="1 Rue de Rivoli", locality="Paris", region="Île-de-France", country="FR"
    )
    address = project_claims(citizen, frozenset({"address"}))["address"]
    assert isinstance(address, dict)
    assert address["formatted"] == "1 Rue de Rivoli, Paris, Île-de-France, FR"


def test_linked_records_keep_the_order_they_were_written() -> None:
    citizen = full_citizen()
    first, second = citizen.driving_licenses
    first.id, second.id = 9, 4
    licences = project_claims(citizen, frozenset({"driving_licenses"}))["driving_licenses"]
    assert isinstance(licences, list)
    assert [licence["class"] for licence in licences] == ["B2", "A1"]


def test_the_document_of_a_citizen_is_the_import_format() -> None:
    document = as_document(full_citizen())
    assert document["birth_date"] == "1990-02-03"
    assert document["phone"] == "0912345678"  # as stored: the document is a copy, not a claim
    assert document["driving_licenses"] == [
        {"number": "010123456789", "class": "A1", "issued_on": "2009-01-05", "expires_on": None,
         "status": "valid"},
        {"number": "010123456790", "class": "B2", "issued_on": "2012-04-01",
         "expires_on": "2022-04-01", "status": "expired"},
    ]  # fmt: skip
    assert as_document(bare_citizen())["health_insurance"] is None
