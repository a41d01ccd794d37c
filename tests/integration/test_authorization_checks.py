"""The authorization endpoint's checks, each broken one way from a valid request."""

from __future__ import annotations

import json
from datetime import date

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet

from idp import clock
from idp.keys.store import ensure_keys
from tests.factories import PASSWORD, make_account, make_citizen
from tests.integration.conftest import START, Flow, form_fields, query

OTHER = "079185004321"


def _id_token(flow: Flow, callback: dict[str, str]) -> dict[str, object]:
    tokens = flow.redeem(callback["code"]).get_json()
    keys = KeySet.import_key_set(flow.browser.get("/jwks.json").get_json())
    return dict(jwt.decode(tokens["id_token"], keys).claims)


def _signed_in(flow: Flow) -> dict[str, object]:
    """Sign in once (password, code, consent); return the first ID token's claims."""
    return _id_token(flow, flow.code())


def _error(response: object) -> str:
    return query(response.headers["Location"])["error"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "sometimes"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"claims": '["id_token"]'}, "invalid_request"),
        ({"claims": '{"id_token": {"birthdate": true}}'}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://evil.example/r"}, "request_uri_not_supported"),
        ({"id_token_hint": "not-a-token"}, "invalid_request"),
    ],
)
@pytest.mark.spec("OIDC-Core-3.1.2.2")
def test_malformed_requests_are_refused_to_the_portal(
    flow: Flow, changes: dict[str, str], error: str
) -> None:
    response = flow.authorize(**changes)
    assert response.status_code == 302
    callback = query(response.headers["Location"])
    assert callback["error"] == error
    assert callback["state"] == "state-1234567890"
    assert callback["iss"] == "http://localhost:5000"


def test_repeated_parameters_are_refused(flow: Flow) -> None:
    params = flow.authorization_params()
    url = "/authorize?" + "&".join(f"{k}={v}" for k, v in params.items()) + "&nonce=again1234"
    response = flow.browser.get(url)
    assert _error(response) == "invalid_request"


def test_authorize_accepts_post(flow: Flow) -> None:
    response = flow.browser.post("/authorize", data=flow.authorization_params())
    assert response.status_code == 302
    assert "/signin/" in response.headers["Location"]


@pytest.mark.spec("OIDC-Core-3.1.2.1")
def test_prompt_none_without_a_session_is_login_required(flow: Flow) -> None:
    assert _error(flow.authorize(prompt="none")) == "login_required"


def test_prompt_none_with_session_and_consent_returns_a_code(flow: Flow) -> None:
    _signed_in(flow)
    response = flow.authorize(prompt="none", nonce="second-nonce-123456")
    assert "code" in flow.follow_to_portal(response)


def test_prompt_none_without_consent_is_consent_required(flow: Flow) -> None:
    _signed_in(flow)
    response = flow.authorize(
        prompt="none", nonce="n-2-123456789", scope="openid profile citizen_id health_insurance"
    )
    assert _error(response) == "consent_required"


def test_prompt_login_signs_in_again(flow: Flow) -> None:
    _signed_in(flow)
    response = flow.authorize(prompt="login", nonce="n-3-123456789")
    assert "/signin/" in response.headers["Location"]


@pytest.mark.spec("OIDC-Core-3.1.2.1")
def test_prompt_consent_always_shows_the_page(flow: Flow) -> None:
    _signed_in(flow)
    response = flow.authorize(prompt="consent", nonce="n-4-123456789")
    assert "/consent/" in response.headers["Location"]
    page = flow.browser.get(response.headers["Location"])
    assert page.status_code == 200
    assert "decision" in page.get_data(as_text=True)


@pytest.mark.parametrize(("max_age", "signs_in_again"), [("0", True), ("600", False)])
def test_max_age(flow: Flow, max_age: str, signs_in_again: bool) -> None:
    _signed_in(flow)
    flow.advance(300)
    response = flow.authorize(max_age=max_age, nonce="n-5-123456789")
    assert ("/signin/" in response.headers["Location"]) is signs_in_again


def test_max_age_exceeded_reauthenticates_and_auth_time_is_new(flow: Flow) -> None:
    first = _signed_in(flow)
    flow.advance(120)
    response = flow.enter_code(flow.sign_in(flow.authorize(max_age="60", nonce="n-6-123456789")))
    second = _id_token(flow, flow.follow_to_portal(response))
    assert second["auth_time"] == first["auth_time"] + 120  # type: ignore[operator]


@pytest.fixture
def second_citizen(app: Flask, flow: Flow) -> str:
    """A second citizen with a password-only account (loa1 at most)."""
    with app.app_context():
        make_citizen(OTHER, given_name="Bình", gender="female", birth_date=date(1985, 11, 2))
        make_account(OTHER, with_totp=False)
    return OTHER


def test_id_token_hint_for_another_citizen_with_prompt_none(
    flow: Flow, second_citizen: str, app: Flask
) -> None:
    first = flow.redeem(flow.code()["code"]).get_json()
    # Another citizen signs in on the same browser (a shared computer).
    flow.browser.delete_cookie("idp_session", domain="localhost")
    response = flow.authorize(nonce="n-7-123456789", scope="openid profile", prompt="login")
    callback = flow.follow_to_portal(
        flow.consent(flow.sign_in(response, citizen_id=second_citizen, password=PASSWORD))
    )
    assert "code" in callback
    # The portal asks silently for the first citizen: never a code for the second.
    response = flow.authorize(
        prompt="none",
        id_token_hint=first["id_token"],
        nonce="n-8-123456789",
        scope="openid profile",
    )
    assert _error(response) == "login_required"


def test_id_token_hint_for_the_signed_in_citizen_with_prompt_none(flow: Flow) -> None:
    first = flow.redeem(flow.code()["code"]).get_json()
    response = flow.authorize(prompt="none", id_token_hint=first["id_token"], nonce="n-9-123456789")
    assert "code" in flow.follow_to_portal(response)


def test_login_hint_prefills_the_number(flow: Flow) -> None:
    response = flow.authorize(login_hint="087084000999")
    page = flow.browser.get(response.headers["Location"])
    field = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(
        "input[name=citizen_id]"
    )
    assert field is not None
    assert field.get("value") == "087084000999"


def test_claims_parameter_puts_asked_claims_in_the_id_token(flow: Flow) -> None:
    claims = {"id_token": {"birthdate": None, "acr": {"essential": True, "values": ["loa2"]}}}
    token = _id_token(flow, flow.code(scope="openid", claims=json.dumps(claims)))
    assert token["birthdate"] == "1984-03-02"
    assert token["acr"] == "loa2"
    assert "name" not in token


@pytest.mark.parametrize(
    "changes",
    [
        {"acr_values": "loa2", "scope": "openid profile"},
        {
            "scope": "openid profile",
            "claims": json.dumps({"id_token": {"acr": {"essential": True, "value": "loa2"}}}),
        },
    ],
)
def test_a_level_the_account_cannot_reach_is_unmet(
    flow: Flow, second_citizen: str, changes: dict[str, str]
) -> None:
    response = flow.sign_in(flow.authorize(**changes), citizen_id=second_citizen)
    assert flow.follow_to_portal(response)["error"] == "unmet_authentication_requirements"


def test_step_up_when_the_session_is_below_the_asked_level(flow: Flow, second_citizen: str) -> None:
    response = flow.sign_in(flow.authorize(scope="openid profile"), citizen_id=second_citizen)
    flow.follow_to_portal(flow.consent(response))
    response = flow.authorize(scope="openid profile", acr_values="loa2", nonce="n-10-12345678")
    assert "/signin/" in response.headers["Location"]


def test_form_post_delivers_the_code_in_a_self_submitting_form(flow: Flow) -> None:
    response = flow.enter_code(flow.sign_in(flow.authorize(response_mode="form_post")))
    page = flow.consent(response)
    while page.status_code in (302, 303):
        page = flow.browser.get(page.headers["Location"])
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    form = soup.select_one("form[data-auto-submit]")
    assert form is not None
    assert form["action"] == flow.portal.redirect_uri
    fields = form_fields(page)
    assert fields["state"] == "state-1234567890"
    assert fields["iss"] == "http://localhost:5000"
    assert fields["code"]
    assert soup.select_one("script[src$='form_post.js']") is not None
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]


def test_cancel_returns_access_denied(flow: Flow) -> None:
    response = flow.authorize()
    page = flow.browser.get(response.headers["Location"])
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    cancel = soup.select_one("form.cancel")
    assert cancel is not None
    token = cancel.select_one("input[name=csrf_token]")
    assert token is not None
    answer = flow.browser.post(str(cancel["action"]), data={"csrf_token": token["value"]})
    assert flow.follow_to_portal(answer)["error"] == "access_denied"


def test_session_ends_after_idle_time(flow: Flow) -> None:
    _signed_in(flow)
    flow.advance(16 * 60)
    response = flow.authorize(nonce="n-11-12345678")
    assert "/signin/" in response.headers["Location"]


def test_id_token_carries_sid(flow: Flow) -> None:
    token = _signed_in(flow)
    assert isinstance(token["sid"], str)
    assert len(token["sid"]) >= 32


@pytest.fixture(autouse=True)
def _keys(app: Flask) -> None:
    # Made at the flows' time, so they sign from the start whatever the hour of the run.
    with clock.frozen(START), app.app_context():
        ensure_keys()
