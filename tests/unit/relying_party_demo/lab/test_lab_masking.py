"""What the lab shows: codes, tokens and secrets cut to six characters, passwords not at all,
in every report it makes."""

from __future__ import annotations

import json

from lab_stub import (
    CITIZEN,
    CLIENT_SECRET,
    SECOND_CITIZEN,
    SECOND_CLIENT_SECRET,
    StubProvider,
    settings_for,
)

from relying_party_demo.lab.masking import HIDDEN, Masker, cut
from relying_party_demo.lab.runner import run_scenarios

JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlc2lnbmF0dXJl"


def test_cut_keeps_six_characters() -> None:
    assert cut("abcdefghijkl") == "abcdef…"
    assert cut("abc") == "…"


def test_urls_are_masked_by_parameter_name() -> None:
    masker = Masker()
    url = "https://rp.example/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=https%3A%2F%2Fop"
    assert (
        masker.url(url)
        == "https://rp.example/cb?code=SplxlO…&state=af0ifjsldkj&iss=https%3A%2F%2Fop"
    )
    assert masker.url("https://rp.example/cb#access_token=abcdefghijk&x=1") == (
        "https://rp.example/cb#access_token=abcdef…&x=1"
    )


def test_registered_secrets_are_masked_anywhere() -> None:
    masker = Masker()
    masker.secret("a-long-refresh-token-value")
    masker.hide("Sandbox-An-2026")
    text = "token a-long-refresh-token-value and password Sandbox-An-2026 in a page"
    assert masker.text(text) == f"token a-long… and password {HIDDEN} in a page"


def test_any_jwt_is_masked() -> None:
    assert Masker().text(f"hint={JWT}!") == "hint=eyJhbG…!"


def test_forms_json_and_headers() -> None:
    masker = Masker()
    assert masker.fields({"password": "secret-password", "otp": "123456", "scope": "openid"}) == {
        "password": HIDDEN,
        "otp": HIDDEN,
        "scope": "openid",
    }
    assert json.loads(
        masker.json({"access_token": "abcdefghij", "nested": [{"id_token": JWT}]})
    ) == {
        "access_token": "abcdef…",
        "nested": [{"id_token": "eyJhbG…"}],
    }
    assert masker.header("Authorization", "Basic bGFiOnNlY3JldA==") == "Basic bGFiOn…"
    assert masker.header("Authorization", "Bearer abcdefghijkl") == "Bearer abcdef…"


def test_a_full_report_shows_no_code_token_or_secret(stub: StubProvider) -> None:
    report = json.dumps(run_scenarios(settings_for(stub)).as_json(), ensure_ascii=False)
    assert stub.issued, "the stub issued codes and tokens"
    for value in stub.issued:
        assert value not in report
        assert value[:6] + "…" in report or value[:6] not in report
    for secret in (CLIENT_SECRET, SECOND_CLIENT_SECRET):
        assert secret not in report
    for _, password, totp_secret in (CITIZEN, SECOND_CITIZEN):
        assert password not in report
        assert totp_secret not in report
