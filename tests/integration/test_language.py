"""The pages' language: the switcher on every page (a form that works without script, remembered
in a long-lived cookie and on a signed-in citizen's account), a portal's ``ui_locales`` through
the whole sign-in, dates in the page's language and time zone, and notices in the account's
language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from idp.accounts.changes import credential_changed
from idp.extensions import db
from idp.models import Account, OutboxMessage
from idp.pages import LOCALE_COOKIE
from tests.factories import make_citizen
from tests.integration.conftest import Flow, english, form_fields
from tests.integration.test_account_sessions import sign_in_to_account


def html_lang(response: TestResponse) -> str:
    html = BeautifulSoup(response.get_data(as_text=True), "html.parser").html
    assert html is not None
    return str(html["lang"])


def switch(browser: FlaskClient, page: str, language: str, **changes: str) -> TestResponse:
    """Press ``language`` in the switcher of ``page``, as a browser without script does."""
    shown = browser.get(page)
    form = BeautifulSoup(shown.get_data(as_text=True), "html.parser").select_one(
        "form[action='/language']"
    )
    assert form is not None, "no language switcher on " + page
    fields = {str(i["name"]): str(i["value"]) for i in form.select("input[type=hidden]")}
    return browser.post("/language", data={**fields, "language": language, **changes})


def cookie(browser: FlaskClient, name: str) -> str | None:
    found = browser.get_cookie(name)
    return None if found is None else found.value


@pytest.mark.parametrize("page", ["/portals", "/activate", "/signin/unknown", "/no-such-page"])
def test_every_page_has_a_switcher_that_marks_the_current_language(app: Flask, page: str) -> None:
    response = english(app).get(page)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert html_lang(response) == "en"
    current = soup.select("form.languages [aria-current]")
    assert [(c.name, c["lang"], c.get_text()) for c in current] == [("strong", "en", "English")]
    other = soup.select("form.languages button[name=language]")
    assert [(b["value"], b["lang"], b.get_text()) for b in other] == [("vi", "vi", "Tiếng Việt")]
    assert soup.select_one("form.languages input[name=csrf_token]") is not None
    # The page comes back to itself, query included (a GET can be fetched again).
    assert soup.select_one("form.languages input[name=next]")["value"] == page


def test_the_choice_is_remembered_beyond_the_session(app: Flask) -> None:
    browser = english(app)
    response = switch(browser, "/portals?x=1", "vi")
    assert response.status_code == 303
    assert response.location == "/portals?x=1"
    set_cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith(LOCALE_COOKIE)
    )
    assert f"{LOCALE_COOKIE}=vi" in set_cookie
    assert f"Max-Age={int(timedelta(days=365).total_seconds())}" in set_cookie
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    assert html_lang(browser.get("/portals")) == "vi"

    # A closed browser or a sign-out loses the session cookie; the choice stays.
    browser.delete_cookie("idp_session")
    assert html_lang(browser.get("/activate")) == "vi"
    # ... and a fresh browser that never chose speaks its own language.
    assert html_lang(english(app).get("/activate")) == "en"


def test_switching_back_and_forth(app: Flask) -> None:
    browser = english(app)
    switch(browser, "/portals", "vi")
    response = switch(browser, "/portals", "en")
    assert response.location == "/portals"
    assert cookie(browser, LOCALE_COOKIE) == "en"
    assert html_lang(browser.get("/portals")) == "en"


def test_without_the_csrf_token_nothing_changes(app: Flask) -> None:
    browser = english(app)
    response = browser.post("/language", data={"language": "vi", "next": "/portals"})
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers or LOCALE_COOKIE not in str(response.headers)
    assert cookie(browser, LOCALE_COOKIE) is None
    assert html_lang(browser.get("/portals")) == "en"


def test_a_get_does_not_switch(app: Flask) -> None:
    browser = english(app)
    assert browser.get("/language?language=vi&next=/portals").status_code == 405
    assert cookie(browser, LOCALE_COOKIE) is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
        "http:/evil.example",
    ],
)
def test_a_next_elsewhere_is_refused_and_changes_nothing(app: Flask, target: str) -> None:
    browser = english(app)
    response = switch(browser, "/portals", "vi", next=target)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "The language was not changed" in response.get_data(as_text=True)
    assert cookie(browser, LOCALE_COOKIE) is None
    assert html_lang(browser.get("/portals")) == "en"


def test_an_unknown_language_is_refused(app: Flask) -> None:
    browser = english(app)
    response = switch(browser, "/portals", "fr")
    assert response.status_code == 400
    assert "Unknown language" in response.get_data(as_text=True)
    assert cookie(browser, LOCALE_COOKIE) is None


def test_a_page_reached_by_post_comes_back_to_a_page_that_can_be_fetched(app: Flask) -> None:
    # A refused form post: its error page's switcher must not send the browser to a GET of a
    # POST-only path.
    page = english(app).post("/language", data={})
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.select_one("form.languages input[name=next]")["value"] == "/account"


def test_the_form_post_page_has_no_switcher(flow: Flow) -> None:
    response = flow.second_factor_if_asked(flow.sign_in(flow.authorize(response_mode="form_post")))
    response = flow.consent(response)
    while response.status_code in (302, 303):
        response = flow.browser.get(response.headers["Location"])
    page = response.get_data(as_text=True)
    assert "data-auto-submit" in page
    assert 'action="/language"' not in page


def test_a_signed_in_citizens_choice_is_stored_on_the_account(app: Flask, flow: Flow) -> None:
    sign_in_to_account(flow, flow.browser)
    with app.app_context():
        assert db.session.scalar(select(Account.language)) == "vi"
    response = switch(flow.browser, "/account", "en")
    assert response.location == "/account"
    with app.app_context():
        assert db.session.scalar(select(Account.language)) == "en"
    switch(flow.browser, "/account/sessions", "vi")
    with app.app_context():
        assert db.session.scalar(select(Account.language)) == "vi"


def test_a_signed_out_choice_leaves_accounts_alone(app: Flask, flow: Flow) -> None:
    switch(english(app), "/portals", "en")
    with app.app_context():
        assert db.session.scalar(select(Account.language)) == "vi"


def test_notices_follow_the_accounts_language_not_the_pages(app: Flask, flow: Flow) -> None:
    sign_in_to_account(flow, flow.browser)
    switch(flow.browser, "/account", "en")
    # The change is made from a page in Vietnamese (another browser): the notice is in English.
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        account = db.session.scalars(select(Account)).one()
        credential_changed(account, "password", "changed")
        message = db.session.scalars(select(OutboxMessage)).one()
    assert message.language == "en"
    assert message.subject == "Your e-ID sign-in settings changed"
    assert "your password was changed" in message.body

    switch(flow.browser, "/account", "vi")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        account = db.session.scalars(select(Account)).one()
        credential_changed(account, "password", "changed")
        newest = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert newest is not None
    assert newest.language == "vi"
    assert "mật khẩu" in newest.body.lower()
    assert "your password" not in newest.body


def test_ui_locales_holds_through_the_whole_sign_in(flow: Flow) -> None:
    """OIDC Core §3.1.2.1: a portal's ``ui_locales`` beats the browser's Accept-Language (here
    English) on every page of the sign-in; the citizen's own choice beats both, then and on
    the portal's next request."""
    response = flow.authorize(ui_locales="vi-VN en")
    location = response.headers["Location"]
    assert html_lang(flow.browser.get(location)) == "vi"
    response = flow.sign_in(response)
    assert response.headers["Location"].endswith("/otp")
    assert html_lang(flow.browser.get(response.headers["Location"])) == "vi"
    response = flow.enter_code(response)
    consent_page = response.headers["Location"]
    page = flow.browser.get(consent_page)
    assert html_lang(page) == "vi"
    assert "Đồng ý" in page.get_data(as_text=True)
    switch(flow.browser, consent_page, "en")
    assert html_lang(flow.browser.get(consent_page)) == "en"
    again = flow.authorize(ui_locales="vi", prompt="login")
    assert html_lang(flow.browser.get(again.headers["Location"])) == "en"


def test_dates_are_in_the_pages_language_and_time_zone(app: Flask, flow: Flow) -> None:
    """The flow's clock is 09:00 UTC on 27 November 2026: 16:00 in Asia/Ho_Chi_Minh
    (``IDP_TIMEZONE``), written as each language writes it (CLDR, through Babel)."""
    sign_in_to_account(flow, flow.browser)
    english_page = flow.browser.get("/account/sessions").get_data(as_text=True)
    assert "11/27/26, 4:00\u202fPM" in english_page
    switch(flow.browser, "/account/sessions", "vi")
    vietnamese_page = flow.browser.get("/account/sessions").get_data(as_text=True)
    assert "16:00 27/11/26" in vietnamese_page
    assert "4:00\u202fPM" not in vietnamese_page


def test_the_outbox_dates_are_localised(app: Flask, flow: Flow) -> None:
    with app.test_request_context():
        account = db.session.scalars(select(Account)).one()
        credential_changed(account, "password", "changed")
    browser = english(app)
    assert "Nov 27, 2026, 4:00:00\u202fPM" in browser.get("/dev/outbox").get_data(as_text=True)
    switch(browser, "/dev/outbox", "vi")
    assert "16:00:00 27 thg 11, 2026" in browser.get("/dev/outbox").get_data(as_text=True)


def test_an_activation_code_comes_in_the_language_of_the_page_that_asked(app: Flask) -> None:
    with app.app_context():
        make_citizen()
    browser = english(app)
    switch(browser, "/activate", "vi")
    page = browser.get("/activate")
    data = {"citizen_id": "087084000999", "birth_date": "1984-03-02", "full_name": "Nguyễn Văn An"}
    started = browser.post("/activate", data={**form_fields(page), **data})
    assert started.headers["Location"] == "/activate/code"
    with app.app_context():
        [sent] = db.session.scalars(select(OutboxMessage)).all()
    assert (sent.kind, sent.language) == ("activation_code", "vi")
    assert "là mã kích hoạt" in sent.body
