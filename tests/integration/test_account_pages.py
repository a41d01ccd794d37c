"""The account pages sign the citizen in through the ordinary sign-in pages, with no portal
and no consent, and a credential change needs a recent sign-in at the account's best level."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from idp import create_app
from idp.account_portal.guard import signed_in
from idp.extensions import db
from idp.models import AuthorizationTransaction, TransactionState
from tests.integration.conftest import Flow, flow_with, form_fields

# A page that changes credentials, as the security pages do; registered only in these tests.
probe = Blueprint("probe", __name__)


@probe.route("/account/probe-change", methods=["GET", "POST"])
@signed_in(recent=True)
def change() -> ResponseReturnValue:
    return "changed"


@pytest.fixture
def account_flow(app: Flask, environ: dict[str, str]) -> Iterator[Flow]:
    """A second app on the same database, with the probe page (the shared one has served)."""
    probed = create_app(environ)
    probed.register_blueprint(probe)
    yield from flow_with(probed)
    # Its pooled connections are closed here, not left to the garbage collector, which warns.
    with probed.app_context():
        db.session.remove()
        db.engine.dispose()


def signed_in_to_account(flow: Flow) -> None:
    """Sign in with the password from the account page, back to it."""
    response = flow.browser.get(flow.sign_in(flow.browser.get("/account")).location)
    assert response.location == "/account"


def test_the_account_page_asks_to_sign_in_then_shows_the_account(flow: Flow) -> None:
    response = flow.browser.get("/account")
    assert response.status_code == 302
    assert "/signin/" in response.headers["Location"]
    response = flow.sign_in(response)
    # One factor is enough to look; no consent page, no code: straight back to the page.
    assert response.headers["Location"].startswith("/authorize/resume/")
    response = flow.browser.get(response.headers["Location"])
    assert response.headers["Location"] == "/account"
    page = flow.browser.get("/account")
    assert page.status_code == 200
    assert "Nguyễn Văn An" in page.get_data(as_text=True)


def test_a_wrong_password_keeps_the_account_page_closed(flow: Flow) -> None:
    response = flow.sign_in(flow.browser.get("/account"), password="not the password at all")
    assert response.status_code == 401
    assert flow.browser.get("/account").status_code == 302


def test_a_change_needs_the_second_factor_and_a_recent_sign_in(account_flow: Flow) -> None:
    flow = account_flow
    signed_in_to_account(flow)
    # Signed in with the password alone (loa1): a change asks for the one-time code too.
    response = flow.browser.get("/account/probe-change")
    assert response.status_code == 302
    response = flow.sign_in(response)
    assert response.headers["Location"].endswith("/otp")
    response = flow.browser.get(flow.enter_code(response).location)
    assert response.headers["Location"] == "/account/probe-change"
    assert flow.browser.get("/account/probe-change").get_data(as_text=True) == "changed"

    # Five minutes later the same change asks for a new sign-in, though the session lives on.
    flow.advance(301)
    assert flow.browser.get("/account").status_code == 200
    response = flow.browser.get("/account/probe-change")
    assert response.status_code == 302
    assert "/signin/" in response.headers["Location"]


def test_sign_out_ends_the_session(flow: Flow) -> None:
    signed_in_to_account(flow)
    page = flow.browser.get("/account")
    response = flow.browser.post("/account/sign-out", data=form_fields(page))
    assert response.headers["Location"] == "/account/signed-out"
    assert flow.browser.get("/account").status_code == 302


def test_sign_out_without_the_form_token_changes_nothing(flow: Flow) -> None:
    signed_in_to_account(flow)
    response = flow.browser.post("/account/sign-out")
    assert response.status_code == 400
    assert flow.browser.get("/account").status_code == 200


def test_a_first_party_transaction_never_reaches_a_portal(app: Flask, flow: Flow) -> None:
    response = flow.sign_in(flow.browser.get("/account"))
    with app.app_context():
        transaction = db.session.scalar(select(AuthorizationTransaction))
        assert transaction is not None
        assert transaction.state is TransactionState.APPROVED
        assert transaction.params == {"return_to": "/account"}
    assert flow.browser.get(response.location).location == "/account"
