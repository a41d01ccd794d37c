"""The account security pages (``/account/security``) and the recovery sign-in, through the
pages: changing the password, setting up and removing the authenticator app, recovery codes
shown once and used once, and a recovery that ends only with a new password and a new app."""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from werkzeug.test import TestResponse

from idp import clock
from idp.accounts import security
from idp.accounts.service import has_totp
from idp.authn import password as passwords
from idp.authn import totp
from idp.extensions import db
from idp.keys.store import ensure_keys
from idp.models import Account, BrowserSession, RecoveryCode
from tests.factories import PASSWORD, make_account, make_citizen, make_portal
from tests.integration.conftest import START, Flow, english, form_fields

CITIZEN_ID = "087084000999"
NEW_PASSWORD = "mango lantern river 42"
GENERIC_FAILURE = "The details you entered are not correct"
CODE_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")


@pytest.fixture
def one_factor(app: Flask) -> Iterator[Flow]:
    """A citizen whose account has a password only."""
    with clock.frozen(START) as advance:
        with app.app_context():
            ensure_keys()
            make_citizen()
            make_account(with_totp=False)
            portal = make_portal()
        yield Flow(english(app), portal, None, advance)


def soup(response: TestResponse) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def the_account(app: Flask) -> Account:
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account is not None
        db.session.expunge(account)
        return account


def sign_in_for(flow: Flow, path: str) -> TestResponse:
    """Open ``path`` and sign in as often and as strongly as it asks; return the page. Each
    one-time code is entered in a new time step, so none is refused as a replay."""
    response = flow.browser.get(path)
    for _ in range(2):
        if response.status_code != 302 or "/signin/" not in response.location:
            break
        response = flow.sign_in(response)
        if response.location.endswith("/otp"):
            flow.advance(30)
            response = flow.enter_code(response)
        assert flow.browser.get(response.location).location == path
        response = flow.browser.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def recently_signed_in(flow: Flow) -> TestResponse:
    """The overview, after a sign-in recent and strong enough for a change."""
    sign_in_for(flow, "/account/security/password")
    return flow.browser.get("/account/security")


def post_form(flow: Flow, page: TestResponse, action: str, **data: str) -> TestResponse:
    """Submit the form of ``page`` whose action is ``action`` (or the page's own form)."""
    form = soup(page).select_one(f"form[action='{action}']") or soup(page).select_one("form")
    assert form is not None
    hidden = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
    return flow.browser.post(action, data={**hidden, **data})


def field_errors(page: TestResponse, name: str) -> list[str]:
    """The messages tied to field ``name``, found through its ``aria-describedby``."""
    html = soup(page)
    field = html.select_one(f"input[name={name}]")
    assert field is not None
    if not field.get("aria-describedby"):
        return []
    messages: list[str] = []
    for ref in str(field["aria-describedby"]).split():
        element = html.find(id=ref)
        assert element is not None
        if "error" in (element.get("class") or []):
            messages += [li.get_text(strip=True) for li in element.select("li")]
    return messages


def first_focused(page: TestResponse) -> str | None:
    focused = soup(page).select("input[autofocus]")
    assert len(focused) <= 1
    return str(focused[0]["name"]) if focused else None


def pending_secret(page: TestResponse) -> str:
    secret = soup(page).select_one("code.secret")
    assert secret is not None
    return secret.get_text().replace(" ", "")


def shown_codes(page: TestResponse) -> list[str]:
    return [c.get_text() for c in soup(page).select(".recovery-codes code")]


def enrol(flow: Flow) -> tuple[str, list[str]]:
    """Set up an authenticator app from the account pages, which ``flow`` then uses; return
    its secret and the recovery codes shown."""
    page = sign_in_for(flow, "/account/security/totp")
    secret = pending_secret(page)
    flow.advance(30)
    done = post_form(flow, page, "/account/security/totp", otp=totp.code_at(secret, clock.now()))
    assert done.status_code == 200, done.get_data(as_text=True)
    flow.totp_secret = secret
    return secret, shown_codes(done)


def issue_codes(app: Flask) -> list[str]:
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account is not None
        return security.regenerate_recovery_codes(account)


def authorize(flow: Flow) -> TestResponse:
    """A new authorization request from the portal (a nonce is never reused)."""
    return flow.authorize(nonce=secrets.token_urlsafe(16))


def new_browser(flow: Flow) -> Flow:
    """The same citizen and portal in another browser."""
    return Flow(english(flow.browser.application), flow.portal, flow.totp_secret, flow.advance)


def cookie_contents(browser: FlaskClient) -> str:
    app = browser.application
    cookie = browser.get_cookie("idp_session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return repr(serializer.loads(cookie.value))


# The overview ----------------------------------------------------------------------------------


def test_the_account_page_links_to_an_overview_of_how_the_citizen_signs_in(flow: Flow) -> None:
    index = sign_in_for(flow, "/account")
    assert soup(index).select_one("a[href='/account/security']") is not None
    page = flow.browser.get("/account/security")
    text = page.get_data(as_text=True)
    assert "Not changed since the account was created" in text
    assert "Remove the authenticator app" in text
    assert "You have no unused recovery codes" in text


def test_the_overview_shows_an_account_without_a_second_factor(one_factor: Flow) -> None:
    page = sign_in_for(one_factor, "/account/security").get_data(as_text=True)
    assert "Set up an authenticator app" in page
    assert "You get ten recovery codes when you set up an authenticator app." in page
    assert "Remove the authenticator app" not in page


# Changing the password -------------------------------------------------------------------------


def test_a_new_password_replaces_the_old_one(app: Flask, flow: Flow) -> None:
    page = sign_in_for(flow, "/account/security/password")
    assert soup(page).select_one("[data-strength-for=new_password] meter") is not None
    response = post_form(
        flow,
        page,
        "/account/security/password",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert response.location == "/account/security"
    overview = flow.browser.get("/account/security").get_data(as_text=True)
    assert "Your password is changed." in overview
    assert "Last changed on" in overview
    account = the_account(app)
    assert passwords.verify_password(account.password_hash, NEW_PASSWORD).ok
    assert not passwords.verify_password(account.password_hash, PASSWORD).ok
    assert account.password_changed_at == clock.now()


@pytest.mark.parametrize(
    ("current", "new", "again", "field", "message"),
    [
        ("not my password", NEW_PASSWORD, NEW_PASSWORD, "current_password", "This is not your"),
        ("", NEW_PASSWORD, NEW_PASSWORD, "current_password", "Enter your current password."),
        (PASSWORD, "short one", "short one", "new_password", "Use at least 12 characters."),
        (PASSWORD, "1qaz2wsx3edc", "1qaz2wsx3edc", "new_password", "most used or leaked"),
        (PASSWORD, "Password2024!", "Password2024!", "new_password", "most used or leaked"),
        (PASSWORD, "an 087084000999", "an 087084000999", "new_password", "citizen-ID number"),
        (PASSWORD, "born 02.03.1984 ok", "born 02.03.1984 ok", "new_password", "date of birth"),
        (PASSWORD, "nguyen the great", "nguyen the great", "new_password", "or name"),
        (PASSWORD, "x" * 129, "x" * 129, "new_password", "at most 128"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password", "other than your current one"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "confirm_password", "are not the same"),
    ],
)
@pytest.mark.spec("NIST-800-63B-5.1.1.2")
def test_a_refused_password_change_says_why_at_the_field(
    app: Flask, flow: Flow, current: str, new: str, again: str, field: str, message: str
) -> None:
    before = the_account(app).password_hash
    page = sign_in_for(flow, "/account/security/password")
    response = post_form(
        flow,
        page,
        "/account/security/password",
        current_password=current,
        new_password=new,
        confirm_password=again,
    )
    assert response.status_code == 400
    assert any(message in m for m in field_errors(response, field)), field_errors(response, field)
    assert first_focused(response) == field
    # No password is sent back in the page.
    html = response.get_data(as_text=True)
    assert not any(f'value="{typed}"' in html for typed in (current, new, again) if typed)
    assert the_account(app).password_hash == before


def test_a_password_change_ends_the_other_sign_ins_and_their_tokens(app: Flask, flow: Flow) -> None:
    elsewhere = new_browser(flow)
    tokens = elsewhere.redeem(elsewhere.code()["code"]).get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert elsewhere.browser.get("/userinfo", headers=bearer).status_code == 200

    page = sign_in_for(flow, "/account/security/password")
    post_form(
        flow,
        page,
        "/account/security/password",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    # This browser stays signed in; the other one is signed out and its token revoked.
    assert flow.browser.get("/account/security").status_code == 200
    assert elsewhere.browser.get("/account").status_code == 302
    assert elsewhere.browser.get("/userinfo", headers=bearer).status_code == 401
    with app.app_context():
        live = db.session.scalars(select(BrowserSession).where(BrowserSession.ended_at.is_(None)))
        assert len(live.all()) == 1
    # The old password no longer signs in; the new one does.
    second = new_browser(flow)
    assert second.sign_in(authorize(second)).status_code == 401
    third = new_browser(flow)
    assert third.sign_in(authorize(third), password=NEW_PASSWORD).location.endswith("/otp")


def test_a_sign_in_older_than_five_minutes_must_be_repeated(app: Flask, flow: Flow) -> None:
    page = sign_in_for(flow, "/account/security/password")
    flow.advance(301)
    response = post_form(
        flow,
        page,
        "/account/security/password",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert response.status_code == 302
    assert "/signin/" in response.location
    assert passwords.verify_password(the_account(app).password_hash, PASSWORD).ok


def test_a_hash_made_with_weaker_parameters_is_upgraded_at_sign_in(app: Flask, flow: Flow) -> None:
    from argon2 import PasswordHasher

    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account is not None
        account.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
        db.session.commit()
    assert flow.sign_in(authorize(flow)).location.endswith("/otp")
    upgraded = the_account(app).password_hash
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(upgraded, PASSWORD).ok


# Setting up the authenticator app ------------------------------------------------------------


def test_the_setup_page_shows_a_qr_code_of_the_secret_kept_on_the_server(
    one_factor: Flow,
) -> None:
    page = sign_in_for(one_factor, "/account/security/totp")
    secret = pending_secret(page)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert soup(page).select_one("code.secret").get_text() == totp.grouped(secret)  # type: ignore[union-attr]
    image = soup(page).select_one("img.qr")
    assert image is not None
    assert image["alt"]
    source = str(image["src"])
    # The QR code is the one of the otpauth URI of this secret and this citizen.
    uri = totp.provisioning_uri(secret, CITIZEN_ID)
    # (tests/unit/test_authn_methods.py reads that SVG module by module)
    assert source == totp.qr_code(uri)
    # The secret never travels in the cookie; reloading shows the same one until it expires.
    assert secret not in cookie_contents(one_factor.browser)
    assert pending_secret(one_factor.browser.get("/account/security/totp")) == secret


def test_a_pending_secret_expires(one_factor: Flow) -> None:
    secret = pending_secret(sign_in_for(one_factor, "/account/security/totp"))
    one_factor.advance(601)
    assert pending_secret(sign_in_for(one_factor, "/account/security/totp")) != secret


def test_a_wrong_first_code_sets_nothing_up(app: Flask, one_factor: Flow) -> None:
    page = sign_in_for(one_factor, "/account/security/totp")
    secret = pending_secret(page)
    wrong = totp.code_at(secret, clock.now() + timedelta(seconds=90))
    response = post_form(one_factor, page, "/account/security/totp", otp=wrong)
    assert response.status_code == 400
    assert any("This code does not match" in m for m in field_errors(response, "otp"))
    assert first_focused(response) == "otp"
    assert pending_secret(response) == secret
    assert not has_totp(the_account(app))


@pytest.mark.spec("RFC6238-5.2")
def test_the_confirming_code_cannot_sign_in_again(app: Flask, one_factor: Flow) -> None:
    secret, codes = enrol(one_factor)
    assert len(codes) == 10
    account = the_account(app)
    assert has_totp(account)
    assert account.totp_pending_sealed is None
    # The code that confirmed the app is refused at the next sign-in, in the same time step.
    confirming = totp.code_at(secret, clock.now())
    other = new_browser(one_factor)
    otp_step = other.sign_in(authorize(other))
    assert otp_step.location.endswith("/otp")
    assert other.enter_code(otp_step, confirming).status_code == 401
    one_factor.advance(30)
    again = new_browser(one_factor)
    assert (
        "/consent/"
        in again.enter_code(
            again.sign_in(authorize(again)), totp.code_at(secret, clock.now())
        ).location
    )


def test_moving_to_another_phone_replaces_the_app_and_the_codes(app: Flask, flow: Flow) -> None:
    assert flow.totp_secret
    old_codes = issue_codes(app)
    page = sign_in_for(flow, "/account/security/totp")
    assert "the app you use now stops working" in page.get_data(as_text=True)
    secret = pending_secret(page)
    assert secret != flow.totp_secret
    flow.advance(30)
    done = post_form(flow, page, "/account/security/totp", otp=totp.code_at(secret, clock.now()))
    new_codes = shown_codes(done)
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account is not None
        assert not security.use_recovery_code(account, old_codes[0])
        assert security.use_recovery_code(account, new_codes[0])
    flow.advance(30)
    other = new_browser(flow)
    otp_step = other.sign_in(authorize(other))
    lost_phone = totp.code_at(flow.totp_secret, clock.now())
    assert other.enter_code(otp_step, lost_phone).status_code == 401


def test_removing_the_app_needs_a_recent_sign_in(app: Flask, flow: Flow) -> None:
    issue_codes(app)
    page = recently_signed_in(flow)
    flow.advance(301)
    stale = post_form(flow, page, "/account/security/totp/remove")
    assert "/signin/" in stale.location
    assert has_totp(the_account(app))

    page = recently_signed_in(flow)
    removed = post_form(flow, page, "/account/security/totp/remove")
    assert removed.location == "/account/security"
    overview = flow.browser.get("/account/security").get_data(as_text=True)
    assert "The authenticator app is removed" in overview
    assert "Set up an authenticator app" in overview
    account = the_account(app)
    assert not has_totp(account)
    with app.app_context():
        assert db.session.scalar(select(RecoveryCode)) is None
    # Allowed, and the portals that need two factors now say so.
    other = new_browser(flow)
    callback = other.follow_to_portal(other.sign_in(authorize(other)))
    assert callback["error"] == "unmet_authentication_requirements"


def test_removing_the_app_without_the_form_token_changes_nothing(app: Flask, flow: Flow) -> None:
    recently_signed_in(flow)
    assert flow.browser.post("/account/security/totp/remove").status_code == 400
    assert has_totp(the_account(app))


# Recovery codes --------------------------------------------------------------------------------


def test_ten_recovery_codes_are_shown_once_and_stored_as_digests(
    app: Flask, one_factor: Flow
) -> None:
    _, codes = enrol(one_factor)
    assert len(set(codes)) == 10
    assert all(CODE_FORMAT.match(code) for code in codes)
    with app.app_context():
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    for code in codes:
        assert all(code not in digest and code.replace("-", "") not in digest for digest in stored)
    # Never shown again: the overview counts them, the setup page starts afresh.
    overview = one_factor.browser.get("/account/security").get_data(as_text=True)
    assert "10 unused recovery codes left." in overview
    assert not any(code in overview for code in codes)
    assert shown_codes(one_factor.browser.get("/account/security/totp")) == []
    assert one_factor.browser.get("/account/security/recovery-codes").status_code == 405


def test_new_recovery_codes_need_a_recent_sign_in_and_replace_the_old_ones(
    app: Flask, flow: Flow
) -> None:
    old = issue_codes(app)
    page = recently_signed_in(flow)
    flow.advance(301)
    stale = post_form(flow, page, "/account/security/recovery-codes")
    assert "/signin/" in stale.location

    page = recently_signed_in(flow)
    response = post_form(flow, page, "/account/security/recovery-codes")
    new = shown_codes(response)
    assert len(new) == 10
    assert response.headers["Cache-Control"] == "no-store"
    assert soup(response).select_one("a[data-action=continue]")["href"] == "/account/security"  # type: ignore[index]
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account is not None
        assert not security.use_recovery_code(account, old[0])
        assert security.use_recovery_code(account, new[0])
        assert security.recovery_codes_left(account) == 9


def test_recovery_codes_are_only_made_with_an_authenticator_app(
    app: Flask, one_factor: Flow
) -> None:
    page = sign_in_for(one_factor, "/account/security/password")
    # The overview offers no such button; a hand-made request is refused all the same.
    response = one_factor.browser.post("/account/security/recovery-codes", data=form_fields(page))
    assert response.location == "/account/security"
    with app.app_context():
        assert db.session.scalar(select(RecoveryCode)) is None


def test_of_concurrent_uses_of_one_recovery_code_exactly_one_wins(app: Flask, flow: Flow) -> None:
    code = issue_codes(app)[0]
    ready = threading.Barrier(4)
    results: list[bool] = []

    def use() -> None:
        with app.app_context():
            account = db.session.scalar(select(Account))
            assert account is not None
            ready.wait()
            results.append(security.use_recovery_code(account, code))
            db.session.remove()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


# Signing in with a recovery code ---------------------------------------------------------------


def start_recovery(flow: Flow, code: str) -> TestResponse:
    """Sign in with the password, then choose a recovery code on the one-time-code page."""
    otp_page = flow.browser.get(flow.sign_in(authorize(flow)).location)
    link = soup(otp_page).select_one("a[data-action=use-recovery-code]")
    assert link is not None
    form = flow.browser.get(str(link["href"]))
    assert soup(form).select_one("input[name=recovery_code]") is not None
    return flow.browser.post(str(link["href"]), data={**form_fields(form), "recovery_code": code})


def test_a_recovery_needs_a_new_password_and_a_new_app_before_going_on(
    app: Flask, flow: Flow
) -> None:
    assert flow.totp_secret
    codes = issue_codes(app)
    # Typed in lower case without the dash: the same code.
    response = start_recovery(flow, codes[0].lower().replace("-", " "))
    assert response.location.endswith("/new-password")
    transaction = response.location.split("/")[2]
    # Nothing is signed in yet, and the steps cannot be skipped.
    assert flow.browser.get("/account").status_code == 302
    assert flow.browser.get(f"/signin/{transaction}/new-authenticator").status_code == 400
    assert flow.browser.get(f"/consent/{transaction}").status_code == 400
    # Until the new app is confirmed, the old one stays (an abandoned recovery locks no one out).
    assert has_totp(the_account(app))

    page = flow.browser.get(response.location)
    weak = post_form(
        flow, page, response.location, new_password="password1234", confirm_password="password1234"
    )
    assert weak.status_code == 400
    assert any("most used or leaked" in m for m in field_errors(weak, "new_password"))
    same = post_form(
        flow, page, response.location, new_password=PASSWORD, confirm_password=PASSWORD
    )
    assert any("other than your current one" in m for m in field_errors(same, "new_password"))
    response = post_form(
        flow, page, response.location, new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD
    )
    assert response.location.endswith("/new-authenticator")
    assert passwords.verify_password(the_account(app).password_hash, NEW_PASSWORD).ok

    page = flow.browser.get(response.location)
    secret = pending_secret(page)
    assert soup(page).select_one("img.qr")["src"] == totp.qr_code(  # type: ignore[index]
        totp.provisioning_uri(secret, CITIZEN_ID)
    )
    lost_phone = totp.code_at(flow.totp_secret, clock.now())
    wrong = post_form(flow, page, response.location, otp=lost_phone)
    assert wrong.status_code == 400
    done = post_form(flow, page, response.location, otp=totp.code_at(secret, clock.now()))
    assert done.status_code == 200
    new_codes = shown_codes(done)
    assert len(new_codes) == 10
    onward = soup(done).select_one("a[data-action=continue]")
    assert onward is not None
    assert str(onward["href"]).startswith("/consent/")

    # The sign-in goes on to the portal with two factors.
    consent = flow.browser.get(str(onward["href"]))
    response = flow.browser.post(
        str(onward["href"]), data={**form_fields(consent), "decision": "allow"}
    )
    callback = flow.follow_to_portal(response)
    id_token = flow.redeem(callback["code"]).get_json()["id_token"]
    keys = KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())
    claims = jwt.decode(id_token, keys, algorithms=["ES256"]).claims
    assert claims["acr"] == "loa2"
    assert claims["amr"] == ["pwd", "otp", "mfa"]

    # The lost phone, the old password and the old codes are all useless now.
    flow.advance(30)
    thief = new_browser(flow)
    assert thief.sign_in(authorize(thief)).status_code == 401
    otp_step = thief.sign_in(authorize(thief), password=NEW_PASSWORD)
    lost_phone = totp.code_at(flow.totp_secret, clock.now())
    assert thief.enter_code(otp_step, lost_phone).status_code == 401
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account is not None
        assert not security.use_recovery_code(account, codes[1])
        assert security.recovery_codes_left(account) == 10


def test_a_used_or_wrong_recovery_code_gets_the_generic_message(app: Flask, flow: Flow) -> None:
    codes = issue_codes(app)
    assert start_recovery(flow, codes[0]).location.endswith("/new-password")
    for code in (codes[0], "ABCDE-FGHJK", "not a code"):
        again = new_browser(flow)
        refused = start_recovery(again, code)
        assert refused.status_code == 401
        page = refused.get_data(as_text=True)
        assert GENERIC_FAILURE in page
        assert code not in page


def test_a_recovery_from_the_account_pages_ends_on_the_page_that_asked(
    app: Flask, flow: Flow
) -> None:
    codes = issue_codes(app)
    response = flow.browser.get("/account/security/password")
    response = flow.sign_in(response)  # signed in at loa1, then asked for the second factor
    response = flow.browser.get(flow.browser.get(response.location).location)
    response = flow.sign_in(response)
    assert response.location.endswith("/otp")
    link = soup(flow.browser.get(response.location)).select_one("a[data-action=use-recovery-code]")
    assert link is not None
    form = flow.browser.get(str(link["href"]))
    response = flow.browser.post(
        str(link["href"]), data={**form_fields(form), "recovery_code": codes[3]}
    )
    page = flow.browser.get(response.location)
    response = post_form(
        flow, page, response.location, new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD
    )
    page = flow.browser.get(response.location)
    done = post_form(
        flow, page, response.location, otp=totp.code_at(pending_secret(page), clock.now())
    )
    onward = soup(done).select_one("a[data-action=continue]")
    assert onward is not None
    assert flow.browser.get(str(onward["href"])).location == "/account/security/password"
    assert flow.browser.get("/account/security/password").status_code == 200


def test_no_secret_reaches_the_logs(
    app: Flask, one_factor: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret, codes = enrol(one_factor)
    one_factor.advance(30)
    used = codes[0]
    response = start_recovery(new_browser(one_factor), used)
    assert response.status_code == 302
    start_recovery(new_browser(one_factor), used)  # refused: logged without the code
    page = sign_in_for(one_factor, "/account/security/password")
    post_form(
        one_factor,
        page,
        "/account/security/password",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    logged = caplog.text
    assert "recovery code refused" in logged
    for value in (secret, totp.grouped(secret), PASSWORD, NEW_PASSWORD, CITIZEN_ID, *codes):
        assert value not in logged
    assert not any(code.replace("-", "") in logged for code in codes)


def test_a_password_change_beyond_the_hashing_queue_is_answered_503_and_changes_nothing(
    app: Flask, flow: Flow, hashing_busy: Callable[[], AbstractContextManager[None]]
) -> None:
    page = sign_in_for(flow, "/account/security/password")
    fields = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    }
    with hashing_busy():
        refused = post_form(flow, page, "/account/security/password", **fields)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "3"
    assert passwords.verify_password(the_account(app).password_hash, PASSWORD).ok
    changed = post_form(flow, page, "/account/security/password", **fields)
    assert changed.location == "/account/security"
