"""Purpose-bound consent: the page shows each scope's declared purpose and legal basis, the
citizen may untick optional scopes, a returning citizen sees only what is new marked, and the
record keeps what was shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from idp.consent.purposes import Purpose
from idp.extensions import db
from idp.models import AuditEntry, Consent
from tests.integration.conftest import Flow, flow_with, form_fields

SCOPE = "openid profile citizen_id vaccination"
PURPOSES = {
    "profile": Purpose("Xác định người nộp hồ sơ", "public_task"),
    "citizen_id": Purpose("Tra cứu hồ sơ", "legal_obligation"),
    "vaccination": Purpose("Cấp giấy xác nhận tiêm chủng"),
}


@pytest.fixture
def flow(app: Flask) -> Iterator[Flow]:
    yield from flow_with(
        app,
        scope=SCOPE,
        purposes=PURPOSES,
        essential_scopes=["profile"],
        organisation="Bộ Y tế",
    )


def consent_page(flow: Flow, **changes: str) -> TestResponse:
    response = flow.second_factor_if_asked(flow.sign_in(flow.authorize(**changes)))
    page = flow.browser.get(response.location)
    assert page.status_code == 200, page.get_data(as_text=True)
    return page


def decide(flow: Flow, page: TestResponse, **fields: str | None) -> dict[str, str]:
    """Press Allow on ``page`` with ``fields`` changed (None: the box unticked)."""
    data = {**form_fields(page), "decision": "allow", **fields}
    response = flow.browser.post(page.request.path, data={k: v for k, v in data.items() if v})
    return flow.follow_to_portal(response)


def granted(app: Flask) -> Consent:
    with app.app_context():
        consent = db.session.scalar(select(Consent))
        assert consent is not None
        db.session.expunge(consent)
        return consent


def test_the_page_shows_purposes_legal_bases_and_what_is_essential(flow: Flow) -> None:
    page = BeautifulSoup(consent_page(flow, scope=SCOPE).get_data(as_text=True), "html.parser")
    text = page.get_text(" ")
    assert "Run by Bộ Y tế" in text
    for purpose in PURPOSES.values():
        assert purpose.text in text
    assert "A duty the law places on the service" in text  # legal_obligation
    assert "Your consent (Decree 13/2023/ND-CP, Article 11)" in text
    # profile is essential: no box; the others can be unticked.
    assert page.select_one("input[name=grant_profile]") is None
    assert page.select_one("input[name=grant_citizen_id][checked]") is not None
    assert page.select_one("input[name=grant_vaccination][checked]") is not None


def test_an_unticked_scope_is_neither_granted_nor_released(app: Flask, flow: Flow) -> None:
    callback = decide(flow, consent_page(flow, scope=SCOPE), grant_vaccination=None)
    tokens = flow.redeem(callback["code"]).get_json()
    assert tokens["scope"].split() == ["openid", "profile", "citizen_id"]
    info = flow.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).get_json()
    assert "vaccinations" not in info
    assert info["citizen_id"] == "087084000999"
    consent = granted(app)
    assert consent.scopes == ["citizen_id", "openid", "profile"]
    assert consent.purposes == {
        "profile": {"purpose": "Xác định người nộp hồ sơ", "legal_basis": "public_task"},
        "citizen_id": {"purpose": "Tra cứu hồ sơ", "legal_basis": "legal_obligation"},
    }


def test_an_essential_scope_cannot_be_refused_by_leaving_it_out(flow: Flow) -> None:
    page = consent_page(flow, scope=SCOPE)
    # A forged post without the essential scope still grants it: the page never offered a box.
    callback = decide(flow, page, grant_citizen_id=None, grant_vaccination=None)
    assert flow.redeem(callback["code"]).get_json()["scope"].split() == ["openid", "profile"]


def test_a_returning_citizen_sees_only_the_new_scope_marked(app: Flask, flow: Flow) -> None:
    decide(flow, consent_page(flow, scope="openid profile citizen_id"))
    # The same scopes again, signed in already: no page at all.
    again = flow.follow_to_portal(
        flow.authorize(scope="openid profile citizen_id", nonce="second-nonce-123456")
    )
    assert "code" in again, again
    with app.app_context():
        events = db.session.scalars(select(AuditEntry.event).order_by(AuditEntry.seq)).all()
    # How each consent was given: on the page, then remembered.
    assert [e for e in events if e.startswith("consent:")] == [
        "consent:grant:given",
        "consent:grant:remembered",
    ]
    # A new scope: the page, with only the new one marked.
    page = flow.browser.get(flow.authorize(scope=SCOPE, nonce="third-nonce-123456").location)
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert len(soup.select(".scope")) == 4
    marked = [box["name"] for div in soup.select(".scope.new") if (box := div.select_one("input"))]
    assert marked == ["grant_vaccination"]


def test_prompt_consent_always_shows_the_page(flow: Flow) -> None:
    decide(flow, consent_page(flow, scope="openid profile"))
    response = flow.browser.get(
        flow.authorize(scope="openid profile", prompt="consent", nonce="n-2-12345678").location
    )
    assert response.status_code == 200
    assert b'name="decision"' in response.get_data()
    # Nothing is new to a returning citizen who asked for nothing new.
    assert b"scope new" not in response.get_data()
