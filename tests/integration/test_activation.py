"""Activation of e-ID accounts through the pages (issue 4, item 6): registry details, a one-time
code read from the development outbox, a new password; and every way it must refuse without
telling who is in the registry."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from werkzeug.test import TestResponse

from idp import clock
from idp.accounts import activation
from idp.accounts.officer import reset_account
from idp.cleanup import purge_expired
from idp.extensions import db
from idp.keys.store import ensure_keys
from idp.models import Account, ActivationRequest, BrowserSession, Citizen
from idp.notify.outbox import recent_messages
from tests.factories import PASSWORD, Portal, make_account, make_citizen, make_portal
from tests.integration.conftest import START, Flow, english, form_fields

CITIZEN_ID = "087084000999"
DETAILS = {"citizen_id": CITIZEN_ID, "birth_date": "1984-03-02", "full_name": "Nguyễn Văn An"}
NEW_PASSWORD = "mười hai ký tự trở lên 2026"
MASKED_PHONE = "09•••••678"  # make_citizen's +84912345678
REFUSED_CODE = "The code is not correct"
START_AGAIN = "This activation can no longer continue"
# A password-only account reaches loa1, enough for these scopes; the ID token's nonce is not
# checked here, and the provider refuses a nonce it has seen (so none is sent).
AUTHORIZATION = {"scope": "openid profile", "nonce": None}


@dataclass
class Activation:
    """A browser walking through the activation pages, and the outbox it reads codes from."""

    app: Flask
    browser: FlaskClient
    portal: Portal
    advance: Any

    def details(self, **changes: str) -> TestResponse:
        page = self.browser.get("/activate")
        assert page.status_code == 200
        return self.browser.post("/activate", data={**form_fields(page), **DETAILS, **changes})

    def code_page(self) -> TestResponse:
        return self.browser.get("/activate/code")

    def enter_code(self, code: str) -> TestResponse:
        page = self.code_page()
        assert page.status_code == 200, page.get_data(as_text=True)
        return self.browser.post("/activate/code", data={**form_fields(page), "otp": code})

    def set_password(
        self, password: str = NEW_PASSWORD, confirm: str | None = None
    ) -> TestResponse:
        page = self.browser.get("/activate/password")
        assert page.status_code == 200, page.get_data(as_text=True)
        data = {"password": password, "password_confirm": password if confirm is None else confirm}
        return self.browser.post("/activate/password", data={**form_fields(page), **data})

    def activate(self) -> TestResponse:
        """The whole activation; returns the done page."""
        assert self.details().headers["Location"] == "/activate/code"
        assert self.enter_code(self.last_code()).headers["Location"] == "/activate/password"
        done = self.set_password()
        assert done.headers["Location"] == "/activate/done", done.get_data(as_text=True)
        return self.browser.get("/activate/done")

    def outbox(self) -> list[dict[str, str]]:
        with self.app.app_context():
            return [
                {"kind": m.kind, "to": m.address, "language": m.language, "body": m.body}
                for m in recent_messages()
            ]

    def last_code(self) -> str:
        sent = [m for m in self.outbox() if m["kind"] == "activation_code"]
        assert sent, self.outbox()
        found = re.search(r"\b(\d{8})\b", sent[0]["body"])
        assert found is not None, sent[0]["body"]
        return found.group(1)

    def another_browser(self) -> Activation:
        return Activation(self.app, english(self.app), self.portal, self.advance)

    def account(self) -> Account | None:
        with self.app.app_context():
            account = db.session.scalar(
                select(Account).join(Citizen).where(Citizen.citizen_id == CITIZEN_ID)
            )
            if account is not None:
                db.session.expunge(account)
            return account

    def sign_in(self, password: str = NEW_PASSWORD) -> TestResponse:
        """Start a sign-in at the portal and submit the password page."""
        flow = self.flow()
        return flow.sign_in(flow.authorize(**AUTHORIZATION), password=password)

    def flow(self) -> Flow:
        return Flow(self.browser, self.portal, None, self.advance)


@pytest.fixture
def activating(app: Flask) -> Iterator[Activation]:
    """A citizen in the registry without an account, a portal, and a fresh English browser."""
    with clock.frozen(START) as advance:
        with app.app_context():
            ensure_keys()
            make_citizen(CITIZEN_ID)
            portal = make_portal()
        yield Activation(app, english(app), portal, advance)


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _without_contact_and_token(response: TestResponse) -> str:
    """The page as a visitor sees it, without the masked contact and the CSRF token."""
    soup = BeautifulSoup(_text(response), "html.parser")
    for node in soup.select("[data-contact]"):
        node.string = ""
    for node in soup.select("input[type=hidden]"):
        node["value"] = ""
    return str(soup)


def _contact(response: TestResponse) -> str:
    node = BeautifulSoup(_text(response), "html.parser").select_one("[data-contact]")
    assert node is not None, _text(response)
    return node.get_text()


def _signed_in_tokens(flow: Flow, password: str, *, consented: bool = False) -> dict[str, str]:
    """Sign in at the portal; the consent page comes unless the citizen consented before."""
    response = flow.sign_in(flow.authorize(**AUTHORIZATION), password=password)
    if not consented:
        response = flow.consent(response)
    tokens: dict[str, str] = flow.redeem(flow.follow_to_portal(response)["code"]).get_json()
    return tokens


def _id_token_claims(flow: Flow, id_token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())
    return dict(jwt.decode(id_token, keys).claims)


# --- the happy path ---------------------------------------------------------------------------


def test_a_citizen_activates_their_account_and_signs_in(activating: Activation) -> None:
    started = activating.details()
    assert started.status_code == 302
    code_page = activating.code_page()
    assert _contact(code_page) == MASKED_PHONE
    assert "If the details you entered match our records" in _text(code_page)
    assert CITIZEN_ID not in _text(code_page)

    [sent] = activating.outbox()
    assert sent["kind"] == "activation_code"
    assert sent["to"] == "+84912345678"  # the registry record's phone, never a typed one
    assert sent["language"] == "en"
    assert "valid for 10 minutes" in sent["body"]

    done = activating.enter_code(activating.last_code())
    assert done.headers["Location"] == "/activate/password"
    assert activating.set_password().headers["Location"] == "/activate/done"
    page = activating.browser.get("/activate/done")
    assert "Your e-ID account is active" in _text(page)

    account = activating.account()
    assert account is not None
    assert account.identity_level == 1
    assert account.language == "en"
    assert account.totp_secret_sealed is None
    assert [m["kind"] for m in activating.outbox()] == ["account_activated", "activation_code"]

    flow = activating.flow()
    claims = _id_token_claims(flow, _signed_in_tokens(flow, NEW_PASSWORD)["id_token"])
    assert (claims["acr"], claims["amr"]) == ("loa1", ["pwd"])


def test_the_sign_in_page_leads_to_activation_and_back(activating: Activation) -> None:
    flow = activating.flow()
    sign_in_url = flow.authorize(**AUTHORIZATION).headers["Location"]
    sign_in = activating.browser.get(sign_in_url)
    link = BeautifulSoup(_text(sign_in), "html.parser").select_one("a[data-action=activate]")
    assert link is not None
    assert activating.browser.get(str(link["href"])).status_code == 200

    done = activating.activate()
    back = BeautifulSoup(_text(done), "html.parser").select_one("a[data-action=continue-sign-in]")
    assert back is not None
    assert back["href"] == sign_in_url
    page = activating.browser.get(str(back["href"]))
    consent = activating.browser.post(
        sign_in_url,
        data={**form_fields(page), "citizen_id": CITIZEN_ID, "password": NEW_PASSWORD},
    )
    assert "/consent/" in consent.headers["Location"]


@pytest.mark.parametrize(
    "full_name",
    ["  nguyễn   VĂN an ", unicodedata.normalize("NFD", "Nguyễn Văn An")],
    ids=["case-and-spaces", "decomposed-diacritics"],
)
def test_names_compare_without_case_spacing_or_unicode_form(
    activating: Activation, full_name: str
) -> None:
    activating.details(full_name=full_name)
    assert [m["kind"] for m in activating.outbox()] == ["activation_code"]


# --- no enumeration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"citizen_id": "001090012345"},  # nobody in the registry
        {"birth_date": "1984-03-03"},
        {"full_name": "Nguyen Van An"},  # diacritics count
        {"full_name": "Nguyễn Văn Anh"},
    ],
    ids=["unknown-number", "wrong-birth-date", "no-diacritics", "wrong-name"],
)
def test_wrong_details_look_exactly_like_right_ones(
    activating: Activation, changes: dict[str, str]
) -> None:
    right = activating.another_browser()
    right.details()
    expected = right.code_page()
    outbox_before = activating.outbox()

    refused = activating.details(**changes)
    assert refused.status_code == 302
    assert refused.headers["Location"] == "/activate/code"
    page = activating.code_page()
    assert page.status_code == expected.status_code == 200
    assert _without_contact_and_token(page) == _without_contact_and_token(expected)
    # A masked contact shaped like a real one, the same each time for the same details.
    assert re.fullmatch(r"0[35789]•{5}\d{3}|[a-z]•••@[a-z]•••\.(com|vn|net)", _contact(page))
    again = activating.another_browser()
    again.details(**changes)
    assert _contact(again.code_page()) == _contact(page)
    assert activating.outbox() == outbox_before  # nothing sent
    # The code step refuses like a wrong code.
    wrong = activating.enter_code("12345678")
    assert wrong.status_code == right.enter_code("12345678").status_code == 401
    assert REFUSED_CODE in _text(wrong)


def test_the_same_wrong_details_give_the_same_masked_contact(activating: Activation) -> None:
    wrong = {"birth_date": "1990-01-01"}
    activating.details(**wrong)
    other = activating.another_browser()
    other.details(**wrong)
    assert _contact(activating.code_page()) == _contact(other.code_page())


def test_an_active_account_gets_a_notice_and_no_code(activating: Activation) -> None:
    with activating.app.app_context():
        make_account(CITIZEN_ID, with_totp=False)
    fresh = activating.another_browser()

    activating.details()
    page = activating.code_page()
    assert _contact(page) == MASKED_PHONE
    [notice] = activating.outbox()
    assert notice["kind"] == "activation_of_active_account"
    assert notice["to"] == "+84912345678"
    assert not re.search(r"\d{8}", notice["body"])
    assert activating.enter_code("12345678").status_code == 401
    # The account is as it was: the old password still works.
    assert fresh.sign_in(password=PASSWORD).status_code == 302


def test_invalid_details_are_explained_field_by_field(activating: Activation) -> None:
    refused = activating.details(citizen_id="12345", birth_date="31/02/1990", full_name=" ")
    assert refused.status_code == 400
    page = _text(refused)
    assert "A citizen-ID number has exactly 12 digits." in page
    assert "Enter the date as day/month/year" in page
    assert "Enter your full name." in page
    assert "12345" not in page
    assert activating.outbox() == []


def test_a_birth_date_typed_day_first_is_understood(activating: Activation) -> None:
    activating.details(birth_date="02/03/1984")
    assert [m["kind"] for m in activating.outbox()] == ["activation_code"]


# --- codes: expiry, single use, attempts, replacement, sending limit --------------------------


def test_an_expired_code_is_refused(activating: Activation) -> None:
    activating.details()
    code = activating.last_code()
    activating.advance(601)
    refused = activating.browser.post(
        "/activate/code", data={**form_fields(activating.browser.get("/activate")), "otp": code}
    )
    assert refused.status_code == 400
    assert START_AGAIN in _text(refused)
    assert activating.account() is None


def test_a_code_is_accepted_once(activating: Activation) -> None:
    activating.details()
    code = activating.last_code()
    handle = _handle(activating)
    assert activating.enter_code(code).headers["Location"] == "/activate/password"
    with activating.app.app_context():
        assert activation.confirm_code(handle, code) is activation.CodeCheck.UNUSABLE
    activating.set_password()
    # After activation, the same browser cannot use the code again either.
    again = activating.browser.post(
        "/activate/code", data={**form_fields(activating.browser.get("/activate")), "otp": code}
    )
    assert again.status_code == 400
    with activating.app.app_context():
        assert activation.confirm_code(handle, code) is activation.CodeCheck.UNUSABLE
        assert activation.complete(handle, "another long password", language="en").expired


def test_too_many_tries_spend_the_code(activating: Activation) -> None:
    activating.details()
    code = activating.last_code()
    for _ in range(5):  # IDP_ACTIVATION_CODE_ATTEMPTS
        assert activating.enter_code("00000000").status_code == 401
    refused = activating.browser.post(
        "/activate/code", data={**form_fields(activating.browser.get("/activate")), "otp": code}
    )
    assert refused.status_code == 400
    assert START_AGAIN in _text(refused)
    assert activating.account() is None


def test_a_new_code_replaces_the_previous_one(activating: Activation) -> None:
    first = activating.another_browser()
    first.details()
    old_code = first.last_code()
    activating.details()
    new_code = activating.last_code()
    assert new_code != old_code

    assert START_AGAIN in _text(
        first.browser.post(
            "/activate/code", data={**form_fields(first.browser.get("/activate")), "otp": old_code}
        )
    )
    assert activating.enter_code(old_code).status_code == 401
    assert activating.enter_code(new_code).headers["Location"] == "/activate/password"


def test_codes_sent_to_one_citizen_are_limited_per_hour(activating: Activation) -> None:
    for _ in range(5):  # IDP_ACTIVATION_SENDS_PER_HOUR
        activating.details()
    assert len(activating.outbox()) == 5
    activating.details()
    assert _contact(activating.code_page()) == MASKED_PHONE  # the page does not tell
    assert len(activating.outbox()) == 5
    activating.advance(3601)
    activating.details()
    assert len(activating.outbox()) == 6
    assert activating.enter_code(activating.last_code()).status_code == 302


# --- the password ------------------------------------------------------------------------------


def test_a_short_password_is_refused_and_the_code_stays_confirmed(activating: Activation) -> None:
    activating.details()
    activating.enter_code(activating.last_code())
    refused = activating.set_password("too short")
    assert refused.status_code == 400
    assert "Use at least 12 characters." in _text(refused)
    assert activating.account() is None
    assert activating.set_password().headers["Location"] == "/activate/done"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("password123456", "among the most used or leaked"),
        ("an 087084000999 x", "citizen-ID number, date of birth or name"),
        ("nguyễn forever 123", "citizen-ID number, date of birth or name"),
        ("02031984 my birthday", "citizen-ID number, date of birth or name"),
    ],
)
def test_the_password_policy_applies(activating: Activation, password: str, problem: str) -> None:
    activating.details()
    activating.enter_code(activating.last_code())
    refused = activating.set_password(password)
    assert refused.status_code == 400
    assert problem in _text(refused)
    assert password not in _text(refused)
    assert activating.account() is None


def test_the_password_must_be_typed_twice_the_same(activating: Activation) -> None:
    activating.details()
    activating.enter_code(activating.last_code())
    refused = activating.set_password(confirm=NEW_PASSWORD + "!")
    assert refused.status_code == 400
    assert "The two passwords are not the same." in _text(refused)
    assert activating.account() is None


def test_the_password_page_needs_a_confirmed_code(activating: Activation) -> None:
    assert activating.browser.get("/activate/password").status_code == 400
    activating.details()
    assert activating.browser.get("/activate/password").status_code == 400
    assert activating.browser.get("/activate/done").headers["Location"] == "/activate"


def _handle(activating: Activation) -> str:
    with activating.browser.session_transaction() as session:
        return str(session["activation"])


def test_the_code_is_stored_as_a_keyed_digest(activating: Activation) -> None:
    activating.details()
    code = activating.last_code()
    with activating.app.app_context():
        [row] = db.session.scalars(select(ActivationRequest)).all()
        assert row.code_digest is not None
        assert code not in row.code_digest
        assert row.id != _handle(activating)  # the table keeps the handle's digest only


# --- officer's reset, then activation of the same account -------------------------------------


def test_a_reset_account_is_activated_again_with_the_same_subject(
    activating: Activation,
) -> None:
    with activating.app.app_context():
        make_account(CITIZEN_ID, with_totp=True)
    before = activating.account()
    assert before is not None
    flow = activating.flow()
    tokens = _signed_in_tokens(flow, PASSWORD)
    subject = _id_token_claims(flow, tokens["id_token"])["sub"]

    with activating.app.app_context():
        reset = reset_account(CITIZEN_ID)
        assert (reset.sessions_ended, reset.tokens_revoked) == (1, 1)
        assert reset.notified is not None
        ended = db.session.scalars(select(BrowserSession.ended_at)).all()
        assert ended == [clock.now()]
    after = activating.account()
    assert after is not None
    assert (after.password_hash, after.totp_secret_sealed, after.identity_level) == (None, None, 1)
    userinfo = flow.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 401
    [notice] = activating.outbox()
    assert notice["kind"] == "account_reset"
    assert "http://localhost:5000/activate" in notice["body"]

    # Without a password the account fails to sign in exactly like a wrong password.
    old_password = activating.another_browser().sign_in(password=PASSWORD)
    stranger = activating.another_browser().flow()
    unknown = stranger.sign_in(
        stranger.authorize(scope="openid profile"), citizen_id="001090012345"
    )
    assert old_password.status_code == unknown.status_code == 401
    assert "The details you entered are not correct" in _text(old_password)

    fresh = activating.another_browser()
    fresh.activate()
    assert fresh.outbox()[1]["kind"] == "activation_code"  # a code, not the "already active" notice
    again = fresh.account()
    assert again is not None
    assert (again.id, again.subject_key) == (before.id, before.subject_key)
    fresh_flow = fresh.flow()
    # Consents are the citizen's decisions, not credentials: a reset keeps them.
    tokens = _signed_in_tokens(fresh_flow, NEW_PASSWORD, consented=True)
    assert _id_token_claims(fresh_flow, tokens["id_token"])["sub"] == subject


def test_cleanup_deletes_expired_activation_requests(activating: Activation) -> None:
    activating.details()
    activating.details(full_name="Somebody Else")
    with activating.app.app_context():
        assert purge_expired().activations == 0
    activating.advance(601)
    with activating.app.app_context():
        assert purge_expired().activations == 2
        assert db.session.scalars(select(ActivationRequest)).all() == []


def test_the_demo_names_a_citizen_to_activate_and_the_outbox(app_context: Flask) -> None:
    from idp.sandbox import DemoSetup, activation_example, describe

    make_citizen("001090012345", phone=None, email=None)  # cannot activate online
    make_citizen("079185004321")
    make_account("079185004321", with_totp=False)  # active already
    make_citizen(CITIZEN_ID)
    example = activation_example()
    assert example is not None
    assert example.citizen_id == CITIZEN_ID
    setup = DemoSetup("client", "secret", "key", "lab-client", "lab-secret")
    text = describe(setup, "http://localhost:5000", "http://127.0.0.1:5001", example)
    assert "http://localhost:5000/activate" in text
    assert f"Nguyễn Văn An, born 02/03/1984, citizen ID {CITIZEN_ID}" in text
    assert "http://localhost:5000/dev/outbox" in text


def test_a_password_beyond_the_hashing_queue_is_answered_503_and_changes_nothing(
    activating: Activation, hashing_busy: Callable[[], AbstractContextManager[None]]
) -> None:
    activating.details()
    activating.enter_code(activating.last_code())
    with hashing_busy():
        refused = activating.set_password()
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "3"
    assert activating.account() is None
    # The code stays confirmed: the same page works once hashing is free again.
    assert activating.set_password().headers["Location"] == "/activate/done"
