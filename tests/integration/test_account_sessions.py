"""Active sessions in the account pages: each browser listed with what it is and where from,
and signing out one of them, or all."""

from __future__ import annotations

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.conftest import Flow, english, form_fields

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def sign_in_to_account(flow: Flow, browser: FlaskClient) -> None:
    flow.browser = browser
    response = browser.get(flow.sign_in(browser.get("/account")).location)
    assert response.location == "/account"


def test_each_browser_is_listed_and_one_can_be_signed_out(app: Flask, flow: Flow) -> None:
    laptop = flow.browser
    phone = english(app)
    phone.environ_base.update(HTTP_USER_AGENT=PHONE, REMOTE_ADDR="203.0.113.77")
    sign_in_to_account(flow, phone)
    sign_in_to_account(flow, laptop)

    page = laptop.get("/account/sessions")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    cards = soup.select("section.card")
    assert len(cards) == 2
    phone_card = next(c for c in cards if "Chrome Mobile / Android" in c.get_text())
    assert "203.0.113.0/24" in phone_card.get_text()
    assert "203.0.113.77" not in page.get_data(as_text=True)
    assert "This browser" not in phone_card.get_text()

    fields = form_fields(page)
    phone_sid = phone_card.select_one("input[name=sid]")
    assert phone_sid is not None
    response = laptop.post("/account/sessions/end", data={**fields, "sid": str(phone_sid["value"])})
    assert response.location == "/account/sessions"
    assert phone.get("/account").status_code == 302  # signed out
    assert laptop.get("/account").status_code == 200  # still signed in


def test_sign_out_everywhere(app: Flask, flow: Flow) -> None:
    laptop, phone = flow.browser, english(app)
    sign_in_to_account(flow, phone)
    sign_in_to_account(flow, laptop)
    page = laptop.get("/account/sessions")
    response = laptop.post("/account/sessions/end", data={**form_fields(page), "sid": "all"})
    assert response.location == "/account/signed-out"
    assert phone.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 302


def test_another_citizens_session_cannot_be_ended(app: Flask, flow: Flow) -> None:
    sign_in_to_account(flow, flow.browser)
    page = flow.browser.get("/account/sessions")
    response = flow.browser.post(
        "/account/sessions/end", data={**form_fields(page), "sid": "someone-elses-sid"}
    )
    assert response.location == "/account/sessions"
    assert flow.browser.get("/account").status_code == 200
