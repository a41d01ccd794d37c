"""The portal's procedures: each signs in (or steps up) with exactly its scopes and assurance
level, refuses a weaker sign-in, shows what it received and a pre-filled form."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from idp.consent.catalogue import SCOPES
from idp.sandbox import PORTAL_SCOPE, PORTAL_SIGN_IN_SCOPE
from relying_party_demo.procedures import PROCEDURES, all_scopes, satisfies

if TYPE_CHECKING:
    from conftest import FakeProvider

StartSignIn = Callable[..., dict[str, str]]
ISSUER = "http://localhost:5000"

EXPECTED = {
    "driving-licence": ("openid profile driving_license", "loa2"),
    "health-insurance": ("openid health_insurance", "loa2"),
    "vehicle-registration": ("openid citizen_id vehicle_registration", "loa2"),
    "certificate-copy": ("openid profile education", "loa1"),
    "vaccination-record": ("openid vaccination", "loa2"),
}


def page_of(response: object) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")  # type: ignore[attr-defined]


def error_code(response: object) -> str:
    code = page_of(response).select_one("[data-error-code]")
    assert code is not None, response.text  # type: ignore[attr-defined]
    return code.get_text()


def sign_in_to(client: FlaskClient, fake_provider: FakeProvider, slug: str) -> object:
    response = client.get(f"/procedures/{slug}/start")
    assert response.status_code == 302, response.text
    query = fake_provider.authorize(response.headers["Location"])
    return client.get("/callback", query_string=query)


# --- The catalogue -----------------------------------------------------------------------------


def test_the_procedures_ask_for_what_they_need() -> None:
    assert {slug: (p.scope, p.acr) for slug, p in PROCEDURES.items()} == EXPECTED


def test_every_procedure_scope_is_in_the_claims_catalogue() -> None:
    assert all_scopes() <= set(SCOPES)


def test_the_demo_registration_covers_every_procedure() -> None:
    """`idp demo` registers PORTAL_SCOPE: a procedure outside it would get invalid_scope."""
    registered = set(PORTAL_SCOPE.split())
    assert all_scopes() <= registered
    assert set(PORTAL_SIGN_IN_SCOPE.split()) <= registered


@pytest.mark.parametrize(
    ("have", "need", "ok"),
    [
        ("loa2", "loa1", True),
        ("loa2", "loa2", True),
        ("loa1", "loa2", False),
        ("loa3", "loa2", True),
        (None, "loa1", False),
        ("gold", "loa1", False),
    ],
)
def test_satisfies(have: object, need: str, ok: bool) -> None:
    assert satisfies(have, need) is ok


# --- Pages -------------------------------------------------------------------------------------


def test_home_lists_every_procedure(portal_client: FlaskClient) -> None:
    page = page_of(portal_client.get("/"))
    listed = {str(li["data-procedure"]) for li in page.select("[data-procedure]")}
    assert listed == set(PROCEDURES)
    link = page.select_one("[data-procedure=driving-licence] a")
    assert link is not None
    assert link["href"] == "/procedures/driving-licence"


def test_a_procedure_page_for_a_visitor_offers_to_start(portal_client: FlaskClient) -> None:
    response = portal_client.get("/procedures/health-insurance")
    assert response.status_code == 200
    page = page_of(response)
    start = page.select_one("a[data-action=start-procedure]")
    assert start is not None
    assert start["href"] == "/procedures/health-insurance/start"
    assert page.select_one("form.application") is None
    assert "Set-Cookie" not in response.headers


def test_an_unknown_procedure_is_not_found(portal_client: FlaskClient) -> None:
    assert portal_client.get("/procedures/no-such-thing").status_code == 404
    assert portal_client.get("/procedures/no-such-thing/start").status_code == 404


# --- Starting a procedure ----------------------------------------------------------------------


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_starting_a_procedure_asks_for_exactly_its_scopes_and_level(
    portal_client: FlaskClient, fake_provider: FakeProvider, slug: str
) -> None:
    response = portal_client.get(f"/procedures/{slug}/start")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/authorize"
    query = dict(parse_qsl(location.query))
    scope, acr = EXPECTED[slug]
    assert query["scope"] == scope
    assert query["acr_values"] == acr
    assert query["code_challenge_method"] == "S256"
    assert len(query["nonce"]) >= 32
    assert "id_token_hint" not in query


def test_the_plain_sign_in_asks_for_rp_scope_and_no_level(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    query = dict(parse_qsl(urlsplit(portal_client.get("/login").headers["Location"]).query))
    assert query["scope"] == "openid profile citizen_id"
    assert "acr_values" not in query


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_a_procedure_shows_what_it_received_and_a_prefilled_form(
    portal_client: FlaskClient, fake_provider: FakeProvider, slug: str
) -> None:
    fake_provider.userinfo_claims = {
        "driving_licenses": [{"number": "790090012345", "class": "B", "expires_on": "2028-06-01"}],
        "health_insurance": {"number": "DN4010012345", "valid_until": "2026-12-31"},
        "vehicles": [{"plate": "29A-123.45"}],
        "education": [{"credential": "Cử nhân Luật", "institution": "ĐHQG", "year": 2012}],
        "vaccinations": [{"vaccine": "COVID-19", "dose": 1, "date": "2021-09-10"}],
    }
    response = sign_in_to(portal_client, fake_provider, slug)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["Location"] == f"/procedures/{slug}"  # type: ignore[attr-defined]

    page = page_of(portal_client.get(f"/procedures/{slug}"))
    form = page.select_one("form.application")
    assert form is not None
    assert page.select_one("a[data-action=start-procedure]") is None
    scope, acr = EXPECTED[slug]
    granted = page.select_one("[data-granted-scope]")
    assert granted is not None
    assert granted.get_text() == scope
    signed_in_acr = page.select_one("[data-signed-in-acr]")
    assert signed_in_acr is not None
    assert signed_in_acr.get_text() == acr
    received = {code.get_text() for code in page.select("table.claims tbody th code")}
    assert received == set(PROCEDURES[slug].claims)


def test_the_driving_licence_form_is_filled_from_the_claims(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    fake_provider.userinfo_claims = {
        "driving_licenses": [{"number": "790090012345", "class": "B", "expires_on": "2028-06-01"}]
    }
    sign_in_to(portal_client, fake_provider, "driving-licence")
    page = page_of(portal_client.get("/procedures/driving-licence"))
    prefilled = {
        str(field["data-prefilled"]): str(field["value"])
        for field in page.select("[data-prefilled]")
    }
    assert prefilled == {
        "full_name": "Nguyễn Văn An",
        "birthdate": "17/05/1990",
        "licence_number": "790090012345",
        "licence_class": "B",
        "licence_expires_on": "01/06/2028",
    }
    assert all(field.has_attr("readonly") for field in page.select("[data-prefilled]"))


def test_an_application_is_received_with_the_verified_data(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    fake_provider.userinfo_claims = {
        "education": [{"credential": "Cử nhân Luật", "institution": "ĐHQG", "year": 2012}]
    }
    sign_in_to(portal_client, fake_provider, "certificate-copy")
    page = page_of(portal_client.get("/procedures/certificate-copy"))
    token = page.select_one("form.application input[name=csrf_token]")
    assert token is not None
    response = portal_client.post(
        "/procedures/certificate-copy/apply",
        data={
            "csrf_token": token["value"],
            # A verified field sent by the browser is ignored: the claims are the source.
            "full_name": "Someone Else",
            "credential": "0",
            "copies": "2",
            "delivery": "post",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/procedures/certificate-copy/received"
    page = page_of(portal_client.get("/procedures/certificate-copy/received"))
    reference = page.select_one("[data-reference]")
    assert reference is not None
    assert reference.get_text().startswith("HS-")
    answers = {str(dd["data-answer"]): dd.get_text() for dd in page.select("[data-answer]")}
    assert answers["full_name"] == "Nguyễn Văn An"
    assert answers["credential"] == "Cử nhân Luật — ĐHQG (2012)"
    assert answers["copies"] == "2"


def test_an_incomplete_application_is_shown_again(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    sign_in_to(portal_client, fake_provider, "vehicle-registration")
    page = page_of(portal_client.get("/procedures/vehicle-registration"))
    token = page.select_one("form.application input[name=csrf_token]")
    assert token is not None
    response = portal_client.post(
        "/procedures/vehicle-registration/apply",
        data={"csrf_token": token["value"], "vehicle_type": "spaceship"},
    )
    assert response.status_code == 400
    flagged = {
        str(div.select_one("select, input")["name"])  # type: ignore[index]
        for div in page_of(response).select(".field-error")
    }
    assert flagged == {"vehicle_type", "brand", "frame_number"}


def test_an_application_needs_the_csrf_token(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    sign_in_to(portal_client, fake_provider, "certificate-copy")
    response = portal_client.post("/procedures/certificate-copy/apply", data={"copies": "1"})
    assert response.status_code == 400
    assert error_code(response) == "invalid_csrf_token"


# --- Step-up and assurance ---------------------------------------------------------------------


def test_a_procedure_needing_more_asks_again_with_the_id_token_as_hint(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    """Signed in at loa1 for a certificate, the citizen starts a loa2 procedure: the portal
    asks the provider to step the same citizen up."""
    sign_in_to(portal_client, fake_provider, "certificate-copy")
    page = page_of(portal_client.get("/procedures/driving-licence"))
    assert page.select_one("a[data-action=start-procedure]") is not None
    assert page.select_one("form.application") is None

    response = sign_in_to(portal_client, fake_provider, "driving-licence")
    assert response.status_code == 303  # type: ignore[attr-defined]
    first, second = fake_provider.authorizations
    assert "id_token_hint" not in first
    assert second["acr_values"] == "loa2"
    assert second["id_token_hint"].count(".") == 2
    page = page_of(portal_client.get("/procedures/driving-licence"))
    acr = page.select_one("[data-signed-in-acr]")
    assert acr is not None
    assert acr.get_text() == "loa2"


def test_a_procedure_already_covered_needs_no_new_sign_in(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    """A loa2 sign-in for the driving licence also serves a certificate copy? No: it lacks the
    education scope. But a second visit to the same procedure is served at once."""
    sign_in_to(portal_client, fake_provider, "driving-licence")
    assert page_of(portal_client.get("/procedures/certificate-copy")).select_one(
        "a[data-action=start-procedure]"
    )
    assert page_of(portal_client.get("/procedures/driving-licence")).select_one("form.application")


def test_an_acr_below_the_level_asked_is_refused(
    portal_client: FlaskClient, fake_provider: FakeProvider
) -> None:
    fake_provider.id_token_claims = {"acr": "loa1"}
    response = sign_in_to(portal_client, fake_provider, "health-insurance")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert error_code(response) == "insufficient_acr"
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    retry = page_of(response).select_one("a[data-action=retry]")
    assert retry is not None
    assert retry["href"] == "/procedures/health-insurance"
    assert portal_client.get("/me").status_code == 302


@pytest.mark.parametrize("acr", [None, "gold"])
def test_a_missing_or_unknown_acr_is_refused_when_a_level_was_asked(
    portal_client: FlaskClient, fake_provider: FakeProvider, acr: str | None
) -> None:
    fake_provider.id_token_claims = {"acr": acr}
    response = sign_in_to(portal_client, fake_provider, "certificate-copy")
    assert error_code(response) == "insufficient_acr"


@pytest.mark.parametrize(
    "error",
    [
        "unmet_authentication_requirements",
        "access_denied",
        "login_required",
        "consent_required",
        "interaction_required",
    ],
)
def test_provider_errors_for_a_procedure_are_clear_pages(
    portal_client: FlaskClient, fake_provider: FakeProvider, error: str
) -> None:
    response = portal_client.get("/procedures/vaccination-record/start")
    state = dict(parse_qsl(urlsplit(response.headers["Location"]).query))["state"]
    response = portal_client.get(
        "/callback", query_string={"error": error, "state": state, "iss": ISSUER}
    )
    assert response.status_code == 400
    assert error_code(response) == error
    assert "Traceback" not in response.text
    message = page_of(response).select_one(".message")
    assert message is not None
    assert "Đã xảy ra lỗi khi đăng nhập" not in message.get_text()  # a message of its own
    retry = page_of(response).select_one("a[data-action=retry]")
    assert retry is not None
    assert retry["href"] == "/procedures/vaccination-record"
