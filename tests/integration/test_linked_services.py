"""Linked services in the account pages, withdrawing consent, and the public register."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from idp.consent.purposes import Purpose
from tests.integration.conftest import Flow, flow_with, form_fields

PURPOSES = {
    "profile": Purpose("Xác định người nộp hồ sơ", "public_task"),
    "citizen_id": Purpose("Tra cứu hồ sơ", "legal_obligation"),
}


@pytest.fixture
def flow(app: Flask) -> Iterator[Flow]:
    yield from flow_with(
        app,
        scope="openid profile citizen_id offline_access",
        purposes=PURPOSES,
        organisation="Bộ Tư pháp",
    )


def tokens_after_sign_in(flow: Flow) -> dict[str, str]:
    callback = flow.code(scope="openid profile citizen_id offline_access")
    return flow.redeem(callback["code"]).get_json()


def test_linked_services_list_what_was_allowed_and_why(flow: Flow) -> None:
    tokens_after_sign_in(flow)
    page = flow.browser.get("/account/services")
    assert page.status_code == 200
    text = BeautifulSoup(page.get_data(as_text=True), "html.parser").get_text(" ")
    assert "Cổng dịch vụ công thử nghiệm" in text
    assert "Run by Bộ Tư pháp. Allowed since November 27, 2026" in text
    assert "Purpose: Tra cứu hồ sơ" in text
    assert "A duty the law places on the service" in text


def test_withdrawing_consent_cuts_the_portal_off_at_once(flow: Flow) -> None:
    tokens = tokens_after_sign_in(flow)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert flow.browser.get("/userinfo", headers=bearer).status_code == 200

    page = flow.browser.get("/account/services")
    action = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(
        "form[action*=revoke]"
    )
    assert action is not None
    response = flow.browser.post(str(action["action"]), data=form_fields(page))
    assert response.location == "/account/services"

    assert flow.browser.get("/userinfo", headers=bearer).status_code == 401
    introspected = flow.post_as_portal("/introspect", token=tokens["access_token"]).get_json()
    assert introspected == {"active": False}
    refused = flow.refresh(tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_grant"
    assert "No service may receive your data." in flow.browser.get("/account/services").get_data(
        as_text=True
    )
    # Signing in to the portal again asks for consent again.
    again = flow.browser.get(flow.authorize(nonce="again-nonce-1234567").location)
    assert b'name="decision"' in again.get_data()


def test_withdrawing_needs_the_form_token(flow: Flow) -> None:
    tokens = tokens_after_sign_in(flow)
    response = flow.browser.post(f"/account/services/{flow.portal.client_id}/revoke")
    assert response.status_code == 400
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert flow.browser.get("/userinfo", headers=bearer).status_code == 200


def test_the_public_register_needs_no_sign_in(flow: Flow) -> None:
    page = flow.browser.get("/portals")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    text = soup.get_text(" ")
    assert "Cổng dịch vụ công thử nghiệm" in text
    assert "Run by Bộ Tư pháp" in text
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")] for tr in soup.select("tbody tr")
    ]
    assert rows[1][:2] == ["Your 12-digit personal identification number", "Tra cứu hồ sơ"]
    # Scopes that release no data are not listed as data.
    assert len(rows) == 2
