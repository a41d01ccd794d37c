"""Asking the provider again for the citizen's data (``POST /me/refresh``): the data is updated,
or, when the provider refuses the access token, the portal's session ends and the page says
why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

if TYPE_CHECKING:
    from conftest import FakeProvider


def _refresh(client: FlaskClient, csrf_token: str | None = None) -> TestResponse:
    if csrf_token is None:
        page = BeautifulSoup(client.get("/me").text, "html.parser")
        field = page.select_one("form[action='/me/refresh'] input[name=csrf_token]")
        assert field is not None
        csrf_token = str(field["value"])
    return client.post("/me/refresh", data={"csrf_token": csrf_token})


def _error_code(response: TestResponse) -> str:
    code = BeautifulSoup(response.text, "html.parser").select_one("[data-error-code]")
    assert code is not None, response.text
    return code.get_text()


def test_refreshing_shows_what_the_provider_releases_now(
    signed_in: FlaskClient, fake_provider: FakeProvider
) -> None:
    fake_provider.userinfo_claims = {"phone_number": "+84912345678"}
    response = _refresh(signed_in)
    assert response.status_code == 303
    assert response.headers["Location"] == "/me"
    assert "+84912345678" in signed_in.get("/me").text


def test_a_refused_access_token_ends_the_portal_session(
    signed_in: FlaskClient, fake_provider: FakeProvider
) -> None:
    fake_provider.access_tokens.clear()  # the provider revoked the token
    response = _refresh(signed_in)
    assert response.status_code == 401
    assert _error_code(response) == "invalid_token"
    assert "rút lại sự đồng ý" in response.text
    assert signed_in.get("/me").status_code == 302


def test_a_userinfo_for_someone_else_is_refused_and_not_kept(
    signed_in: FlaskClient, fake_provider: FakeProvider
) -> None:
    fake_provider.userinfo_claims = {"sub": "someone-else", "name": "Người khác"}
    response = _refresh(signed_in)
    assert _error_code(response) == "userinfo_subject_mismatch"
    assert "Người khác" not in signed_in.get("/me").text


def test_refreshing_without_the_csrf_token_changes_nothing(
    signed_in: FlaskClient, fake_provider: FakeProvider
) -> None:
    fake_provider.userinfo_claims = {"name": "Đã đổi"}
    response = _refresh(signed_in, csrf_token="forged")
    assert response.status_code == 400
    assert _error_code(response) == "invalid_csrf_token"
    assert "Đã đổi" not in signed_in.get("/me").text
