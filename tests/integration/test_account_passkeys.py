"""The passkeys section of the account pages: adding a passkey with a software authenticator,
the list, renaming and removing; every change only after a recent sign-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from idp.extensions import db
from idp.models import Account, Passkey
from tests.authenticator import SoftwareAuthenticator
from tests.integration.conftest import Flow, flow_with, form_fields

ISSUER = "http://localhost:5000"


@pytest.fixture
def password_only(app: Flask) -> Iterator[Flow]:
    """An account without a second factor: the password alone is its strongest sign-in."""
    for flow in flow_with(app):
        with app.app_context():
            account = db.session.scalar(select(Account))
            assert account is not None
            account.totp_secret_sealed = None
            db.session.commit()
        flow.totp_secret = None
        yield flow


def _through_sign_in(flow: Flow, path: str) -> TestResponse:
    """Open ``path``; sign in (password, and the code when asked) until it shows. A change
    may take two sign-ins: the first finds out who it is, the second asks for the strongest
    sign-in of that account."""
    response = flow.browser.get(path)
    for _ in range(2):
        if not (response.status_code == 302 and "/signin/" in response.location):
            break
        response = flow.second_factor_if_asked(flow.sign_in(response))
        response = flow.browser.get(response.location)  # resume
        assert response.location == path
        response = flow.browser.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _add_passkey(
    flow: Flow, authenticator: SoftwareAuthenticator, name: str = "Điện thoại", **breaks: Any
) -> TestResponse:
    page = _through_sign_in(flow, "/account/passkeys/new")
    csrf = form_fields(page)["csrf_token"]
    options = flow.browser.post("/account/passkeys/new/options", headers={"X-CSRFToken": csrf})
    assert options.status_code == 200, options.get_data(as_text=True)
    credential = authenticator.create(options.get_json(), **breaks)
    return flow.browser.post(
        "/account/passkeys/new",
        data={"csrf_token": csrf, "name": name, "credential": json.dumps(credential)},
    )


def _stored(app: Flask) -> list[Passkey]:
    with app.app_context():
        return list(db.session.scalars(select(Passkey)))


def _list(flow: Flow) -> BeautifulSoup:
    return BeautifulSoup(
        _through_sign_in(flow, "/account/passkeys").get_data(as_text=True), "html.parser"
    )


def test_a_citizen_adds_a_passkey_and_sees_it_listed(app: Flask, flow: Flow) -> None:
    authenticator = SoftwareAuthenticator(ISSUER)
    page = BeautifulSoup(
        _through_sign_in(flow, "/account/passkeys/new").get_data(as_text=True), "html.parser"
    )
    assert page.select_one("[data-action=passkey-register]") is not None
    assert [s["src"] for s in page.select("script")] == ["/static/errors.js", "/static/passkeys.js"]
    added = _add_passkey(flow, authenticator, name="  Điện thoại của An ")
    assert added.location == "/account/passkeys"
    listed = _list(flow).select("li[data-passkey-id]")
    assert len(listed) == 1
    text = listed[0].get_text(" ", strip=True)
    assert "Điện thoại của An" in text
    # Vietnam's time: the test clock stands at 09:00 UTC.
    assert "Added Nov 27, 2026, 4:00:00" in text
    assert "Not used yet." in text
    assert "Kept on one device." in text
    (stored,) = _stored(app)
    assert stored.credential_id == authenticator.credentials[0].credential_id


def test_the_account_page_links_to_the_passkeys(flow: Flow) -> None:
    page = BeautifulSoup(_through_sign_in(flow, "/account").get_data(as_text=True), "html.parser")
    assert page.select_one("a[href='/account/passkeys']") is not None


def test_adding_a_passkey_needs_the_strongest_sign_in(flow: Flow) -> None:
    signed_in = flow.sign_in(flow.browser.get("/account"))
    flow.browser.get(signed_in.location)
    assert flow.browser.get("/account/passkeys").status_code == 200  # looking is allowed
    # The account has a one-time code: a sign-in with the password alone cannot add a passkey.
    response = flow.browser.get("/account/passkeys/new")
    assert response.status_code == 302
    assert "/signin/" in response.location


def test_the_password_is_enough_when_it_is_the_only_factor(app: Flask, password_only: Flow) -> None:
    flow = password_only
    assert _add_passkey(flow, SoftwareAuthenticator(ISSUER)).location == "/account/passkeys"
    assert len(_stored(app)) == 1


def test_a_stale_sign_in_changes_nothing(app: Flask, flow: Flow) -> None:
    page = _through_sign_in(flow, "/account/passkeys/new")
    csrf = form_fields(page)["csrf_token"]
    options = flow.browser.post("/account/passkeys/new/options", headers={"X-CSRFToken": csrf})
    credential = SoftwareAuthenticator(ISSUER).create(options.get_json())
    flow.advance(301)  # past IDP_REAUTHENTICATION_WINDOW
    late = flow.browser.post(
        "/account/passkeys/new",
        data={"csrf_token": csrf, "name": "Trễ", "credential": json.dumps(credential)},
    )
    assert late.status_code == 302
    assert "/signin/" in late.location
    again = flow.browser.post("/account/passkeys/new/options", headers={"X-CSRFToken": csrf})
    assert again.status_code == 302
    assert _stored(app) == []


@pytest.mark.parametrize(
    "breaks",
    [
        pytest.param({"origin": "http://evil.example"}, id="wrong-origin"),
        pytest.param({"rp_id": "evil.example"}, id="wrong-rp-id"),
        pytest.param({"user_verified": False}, id="no-user-verification"),
    ],
)
def test_a_broken_registration_is_refused_on_the_page(
    app: Flask, flow: Flow, breaks: dict[str, Any]
) -> None:
    refused = _add_passkey(flow, SoftwareAuthenticator(ISSUER), **breaks)
    assert refused.status_code == 400
    assert "The passkey could not be added" in refused.get_data(as_text=True)
    assert _stored(app) == []


@pytest.mark.parametrize("name", ["", "x" * 65, "tab\there"])
def test_a_bad_name_is_refused(app: Flask, flow: Flow, name: str) -> None:
    refused = _add_passkey(flow, SoftwareAuthenticator(ISSUER), name=name)
    assert refused.status_code == 400
    assert "Give the passkey a name of 1 to 64" in refused.get_data(as_text=True)
    assert _stored(app) == []


def _change(flow: Flow, **data: str) -> TestResponse:
    page = _through_sign_in(flow, "/account/passkeys")
    return flow.browser.post(
        "/account/passkeys", data={"csrf_token": form_fields(page)["csrf_token"], **data}
    )


def test_rename_and_remove(app: Flask, flow: Flow) -> None:
    _add_passkey(flow, SoftwareAuthenticator(ISSUER))
    (passkey,) = _stored(app)
    renamed = _change(flow, action="rename", passkey_id=str(passkey.id), name="Máy tính")
    assert renamed.location == "/account/passkeys"
    assert [p.name for p in _stored(app)] == ["Máy tính"]
    refused = _change(flow, action="rename", passkey_id=str(passkey.id), name=" ")
    assert refused.status_code == 400
    assert [p.name for p in _stored(app)] == ["Máy tính"]
    assert _change(flow, action="remove", passkey_id=str(passkey.id)).status_code == 302
    assert _stored(app) == []
    assert "You have no passkey yet." in _list(flow).get_text()


def test_another_citizens_passkey_cannot_be_touched(app: Flask, flow: Flow) -> None:
    _add_passkey(flow, SoftwareAuthenticator(ISSUER))
    (passkey,) = _stored(app)
    for data in (
        {"action": "remove", "passkey_id": str(passkey.id + 1)},
        {"action": "rename", "passkey_id": "x", "name": "a"},
        {"action": "explode", "passkey_id": str(passkey.id)},
    ):
        refused = _change(flow, **data)
        assert refused.status_code == 400
        assert "could not be changed" in refused.get_data(as_text=True)
    assert len(_stored(app)) == 1


def test_a_suspended_passkey_is_shown_as_such(app: Flask, flow: Flow) -> None:
    _add_passkey(flow, SoftwareAuthenticator(ISSUER))
    with app.app_context():
        passkey = db.session.scalar(select(Passkey))
        assert passkey is not None
        passkey.suspended_at = passkey.created_at
        db.session.commit()
    (item,) = _list(flow).select("li[data-passkey-id]")
    assert item.select_one("[data-passkey-suspended]") is not None
    assert "has been copied. It can no longer sign you in" in item.get_text()


def test_a_passkey_signs_in_to_the_account_pages_without_a_password(app: Flask, flow: Flow) -> None:
    authenticator = SoftwareAuthenticator(ISSUER)
    _add_passkey(flow, authenticator)
    signed_out = flow.browser.post(
        "/account/sign-out", data=form_fields(flow.browser.get("/account"))
    )
    assert signed_out.location == "/account/signed-out"
    sign_in = flow.browser.get("/account")
    page = flow.browser.get(sign_in.location)
    csrf = form_fields(page)["csrf_token"]
    base = sign_in.location
    options = flow.browser.post(base + "/passkey/options", headers={"X-CSRFToken": csrf})
    assertion = authenticator.get(options.get_json())
    resumed = flow.browser.post(
        base + "/passkey", data={"csrf_token": csrf, "credential": json.dumps(assertion)}
    )
    assert flow.browser.get(resumed.location).location == "/account"
    # A passkey with user verification is the account's strongest sign-in: changes are open.
    assert flow.browser.get("/account/passkeys/new").status_code == 200
    (stored,) = _stored(app)
    assert stored.last_used_at is not None
