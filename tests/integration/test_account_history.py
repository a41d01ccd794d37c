"""The account pages read the ledger back to the citizen: data access history, sign-in
history with "this wasn't me", the data download, and notices of releases."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select

from idp.consent.purposes import Purpose
from idp.extensions import db
from idp.models import OutboxMessage
from tests.factories import PASSWORD
from tests.integration.conftest import Flow, flow_with, form_fields

SCOPE = "openid profile citizen_id health_insurance"
PURPOSES = {
    "profile": Purpose("Xác định người nộp hồ sơ"),
    "citizen_id": Purpose("Tra cứu hồ sơ", "legal_obligation"),
    "health_insurance": Purpose("Khám chữa bệnh BHYT"),
}


@pytest.fixture
def flow(app: Flask) -> Iterator[Flow]:
    yield from flow_with(app, scope=SCOPE, purposes=PURPOSES)


def read_userinfo(flow: Flow, **changes: str) -> dict[str, object]:
    """A portal signs the citizen in (only the pages still needed) and reads userinfo."""
    response = flow.authorize(**changes)
    if response.location.endswith("/otp"):  # a step-up: the code alone
        response = flow.enter_code(response)
    elif "/signin/" in response.location:
        response = flow.second_factor_if_asked(flow.sign_in(response))
    assert response.location, response.get_data(as_text=True)
    if "/consent/" in response.location:
        page = flow.browser.get(response.location)  # remembered consent: straight on
        if page.status_code == 200:
            data = {**form_fields(page), "decision": "allow"}
            page = flow.browser.post(response.location, data=data)
        response = page
    tokens = flow.redeem(flow.follow_to_portal(response)["code"]).get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    info: dict[str, object] = flow.browser.get("/userinfo", headers=bearer).get_json()
    return info


def notices(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def test_a_release_appears_in_the_access_history_with_its_purpose(flow: Flow) -> None:
    read_userinfo(flow, scope=SCOPE)
    page = flow.browser.get("/account/history")
    assert page.status_code == 200
    cards = BeautifulSoup(page.get_data(as_text=True), "html.parser").select("section.release")
    # Newest first: the userinfo call, then the ID token.
    assert "read by the service" in cards[0].get_text()
    text = cards[0].get_text(" ")
    assert "Cổng dịch vụ công thử nghiệm" in text
    assert "Your 12-digit personal identification number" in text
    assert "citizen_id: Tra cứu hồ sơ" in text
    # Names and purposes only: the values the portal received are not on the page.
    assert "087084000999" not in page.get_data(as_text=True)


def test_the_history_is_filtered_by_portal_and_paginated(app: Flask, flow: Flow) -> None:
    for round_ in range(11):  # 22 releases: ID token and userinfo each time
        read_userinfo(flow, scope=SCOPE, nonce=f"nonce-round-{round_:04d}")
    first = flow.browser.get("/account/history")
    soup = BeautifulSoup(first.get_data(as_text=True), "html.parser")
    assert len(soup.select("section.release")) == 20
    older = soup.select_one("a[href*=before]")
    assert older is not None
    second = flow.browser.get(str(older["href"]))
    assert (
        len(BeautifulSoup(second.get_data(as_text=True), "html.parser").select("section.release"))
        == 2
    )
    other = flow.browser.get("/account/history?portal=someone-else")
    assert "No service has received your data." in other.get_data(as_text=True)


def test_a_first_and_a_sensitive_release_are_notified_once_a_day(app: Flask, flow: Flow) -> None:
    read_userinfo(flow, scope="openid profile")
    sent = notices(app)
    assert [m.kind for m in sent] == ["data_released"]
    assert "/account/history" in sent[0].body
    read_userinfo(flow, scope="openid profile", nonce="nonce-again-123456")
    assert len(notices(app)) == 1  # nothing new
    read_userinfo(flow, scope=SCOPE, nonce="nonce-sensitive-1234")
    assert len(notices(app)) == 2  # new and sensitive scopes
    read_userinfo(flow, scope=SCOPE, nonce="nonce-sensitive-5678")
    assert len(notices(app)) == 2  # sensitive again, the same day
    flow.advance(86400)
    read_userinfo(flow, scope=SCOPE, nonce="nonce-next-day-1234")
    assert len(notices(app)) == 3


def test_sign_in_history_and_this_was_not_me(flow: Flow) -> None:
    flow.sign_in(flow.authorize(), password="a wrong password indeed")
    read_userinfo(flow, scope=SCOPE, nonce="nonce-second-12345")
    page = flow.browser.get("/account/sign-ins")
    rows = BeautifulSoup(page.get_data(as_text=True), "html.parser").select("tbody tr")
    results = [row.select("td")[1].get_text(strip=True) for row in rows]
    assert results[-1] == "Refused"
    assert "Signed in" in results
    response = flow.browser.post("/account/sign-ins/not-me", data=form_fields(page))
    assert response.status_code == 200
    assert "signed out everywhere" in response.get_data(as_text=True)
    assert flow.browser.get("/account").status_code == 302
    assert PASSWORD not in page.get_data(as_text=True)


def test_my_data_holds_exactly_the_citizens_own_data(app: Flask, flow: Flow) -> None:
    from tests.factories import make_account, make_citizen

    with app.app_context():
        make_citizen("001090012345", given_name="Bình", family_name="Trần")
        make_account("001090012345")
    read_userinfo(flow, scope=SCOPE)
    response = flow.browser.get("/account/data.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["registry"]["citizen_id"] == "087084000999"
    assert data["registry"]["given_name"] == "An"
    assert [c["scopes"] for c in data["consents"]] == [sorted(SCOPE.split())]
    assert {e["event"] for e in data["history"]} >= {
        "citizen:signin:success",
        "claims:release:userinfo",
    }
    assert "001090012345" not in response.get_data(as_text=True)
    assert "Bình" not in response.get_data(as_text=True)


def test_a_page_number_out_of_range_shows_the_first_page(flow: Flow) -> None:
    read_userinfo(flow, scope=SCOPE)
    page = flow.browser.get("/account/history?before=" + "9" * 40)
    assert page.status_code == 200
    assert BeautifulSoup(page.get_data(as_text=True), "html.parser").select("section.release")
