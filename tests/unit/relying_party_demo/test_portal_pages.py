"""The portal's pages and headers, without signing in."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from relying_party_demo.display import format_birthdate, format_claim_value

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self' http://localhost:5000; frame-ancestors 'none'; base-uri 'none'"
)


def test_home_page_has_the_sign_in_button(portal_client: FlaskClient) -> None:
    response = portal_client.get("/")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert page.html is not None
    assert page.html["lang"] == "vi"
    button = page.select_one("a[data-action=sign-in]")
    assert button is not None
    assert button["href"] == "/login"
    assert "Đăng nhập" in button.get_text()
    assert page.select_one("[data-action=sign-out]") is None


def test_home_page_sets_no_cookie_for_a_visitor(portal_client: FlaskClient) -> None:
    response = portal_client.get("/")
    assert "Set-Cookie" not in response.headers


def test_pages_have_no_inline_script_or_style(portal_client: FlaskClient) -> None:
    page = BeautifulSoup(portal_client.get("/").text, "html.parser")
    assert page.find("script") is None
    assert page.find("style") is None
    assert page.select("[style]") == []
    stylesheets = [link["href"] for link in page.select("link[rel=stylesheet]")]
    assert stylesheets == ["/static/portal.css"]


@pytest.mark.parametrize("path", ["/", "/static/portal.css", "/no-such-page"])
def test_security_headers_on_every_response(portal_client: FlaskClient, path: str) -> None:
    with portal_client.get(path) as response:
        headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers


def test_html_pages_are_not_cached(portal_client: FlaskClient) -> None:
    assert portal_client.get("/").headers["Cache-Control"] == "no-store"


def test_stylesheet_is_served(portal_client: FlaskClient) -> None:
    with portal_client.get("/static/portal.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"


def test_unknown_page_is_a_page(portal_client: FlaskClient) -> None:
    response = portal_client.get("/no-such-page")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.text
    assert "Traceback" not in response.text


def test_me_redirects_to_home_when_signed_out(portal_client: FlaskClient) -> None:
    response = portal_client.get("/me")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_is_post_only(portal_client: FlaskClient) -> None:
    assert portal_client.get("/logout").status_code == 405


def test_logout_without_csrf_token_is_refused(portal_client: FlaskClient) -> None:
    response = portal_client.post("/logout")
    assert response.status_code == 400
    assert "invalid_csrf_token" in response.text


def test_logout_with_a_wrong_csrf_token_is_refused(portal_client: FlaskClient) -> None:
    with portal_client.session_transaction() as session:
        session["csrf_token"] = "right-token"
        session["id_token_claims"] = {"sub": "someone"}
        session["userinfo"] = {"sub": "someone"}
    response = portal_client.post("/logout", data={"csrf_token": "wrong-token"})
    assert response.status_code == 400
    assert portal_client.get("/me").status_code == 200


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("1990-05-17", "17/05/1990"),
        ("1990", "1990"),
        ("0000-05-17", "0000-05-17"),
        (None, ""),
    ],
)
def test_birthdate_is_shown_day_first(value: str | None, shown: str) -> None:
    assert format_birthdate(value) == shown


def test_claim_values_are_shown_as_text() -> None:
    assert format_claim_value("exp", 0) == "0 (1970-01-01 00:00:00 UTC)"
    assert format_claim_value("email_verified", True) == "true"
    assert format_claim_value("amr", ["pwd", "otp"]) == '[\n  "pwd",\n  "otp"\n]'
    assert format_claim_value("address", {"region": "Hà Nội"}) == '{\n  "region": "Hà Nội"\n}'
    assert format_claim_value("citizen_id", "001090012345") == "001090012345"
