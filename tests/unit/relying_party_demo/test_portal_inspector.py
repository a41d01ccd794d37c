"""The token inspector: the raw and decoded tokens of the latest sign-in, each validation step
with its result, and the UserInfo response."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from relying_party_demo.inspection import (
    Expected,
    access_token_checks,
    decode_part,
    id_token_checks,
)

ISSUER = "http://localhost:5000"


def section(page: BeautifulSoup, kind: str) -> Tag:
    found = page.select_one(f"section[data-token={kind}]")
    assert found is not None
    return found


def results(part: Tag) -> dict[str, str]:
    return {str(row["data-check"]): str(row["data-passed"]) for row in part.select("[data-check]")}


def test_inspector_is_for_signed_in_citizens(portal_client: FlaskClient) -> None:
    response = portal_client.get("/inspector")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_inspector_shows_both_tokens_their_checks_and_userinfo(
    signed_in: FlaskClient, citizen: dict[str, str]
) -> None:
    with signed_in.session_transaction() as session:
        raw = {kind: session["sign_in"][kind] for kind in ("id_token", "access_token")}
    response = signed_in.get("/inspector")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = BeautifulSoup(response.text, "html.parser")

    id_token = section(page, "id_token")
    raw_shown = id_token.select_one("[data-raw]")
    assert raw_shown is not None
    assert raw_shown.get_text() == raw["id_token"]
    payload = id_token.select_one("[data-payload]")
    assert payload is not None
    assert json.loads(payload.get_text())["sub"] == citizen["sub"]
    header = id_token.select_one("[data-header]")
    assert header is not None
    assert json.loads(header.get_text())["alg"] == "ES256"
    assert results(id_token) == {
        name: "true"
        for name in (
            "signature",
            "iss",
            "aud",
            "azp",
            "exp",
            "iat",
            "nonce",
            "acr",
            "at_hash",
            "sub",
        )
    }

    access_token = section(page, "access_token")
    access_header = access_token.select_one("[data-header]")
    assert access_header is not None
    assert json.loads(access_header.get_text())["typ"] == "at+jwt"
    assert results(access_token) == {
        name: "true"
        for name in ("typ", "signature", "iss", "aud", "exp", "iat", "client_id", "sub", "scope")
    }

    userinfo = section(page, "userinfo").select_one("[data-userinfo]")
    assert userinfo is not None
    assert json.loads(userinfo.get_text()) == citizen


def test_an_opaque_access_token_is_shown_as_such() -> None:
    """RFC 9068 is the provider's choice; another provider's opaque token is not an error."""
    assert decode_part("opaque-token", 0) is None
    key = ECKey.generate_key("P-256", parameters={"kid": "k"})
    checks = access_token_checks(
        "opaque-token",
        keys=KeySet([key]),
        algorithms=["ES256"],
        expected=expected(),
        id_token_sub="someone",
    )
    assert [(check.name, check.passed) for check in checks] == [("format", False)]


def expected(**changes: object) -> Expected:
    values: dict[str, object] = {
        "issuer": ISSUER,
        "client_id": "portal-test-client",
        "nonce": "the-nonce",
        "acr": "loa2",
        "userinfo_sub": "someone",
        "now": 1_000_000,
    }
    values.update(changes)
    return Expected(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"issuer": "http://other"}, "iss"),
        ({"client_id": "another"}, "aud"),
        ({"nonce": "another"}, "nonce"),
        ({"acr": "loa3"}, "acr"),
        ({"userinfo_sub": "another"}, "sub"),
        ({"now": 2_000_000}, "exp"),
        ({"now": 0}, "iat"),
    ],
)
def test_each_id_token_check_fails_on_its_own(change: dict[str, object], failing: str) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "k"})
    token = jwt.encode(
        {"alg": "ES256", "kid": "k"},
        {
            "iss": ISSUER,
            "aud": "portal-test-client",
            "sub": "someone",
            "iat": 1_000_000,
            "exp": 1_000_300,
            "nonce": "the-nonce",
            "acr": "loa2",
        },
        key,
    )
    good = id_token_checks(
        token, keys=KeySet([key]), algorithms=["ES256"], expected=expected(), access_token=None
    )
    assert all(check.passed for check in good)
    checks = id_token_checks(
        token,
        keys=KeySet([key]),
        algorithms=["ES256"],
        expected=expected(**change),
        access_token=None,
    )
    assert [check.name for check in checks if not check.passed] == [failing]


def test_a_signature_by_another_key_fails_the_signature_check() -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "k"})
    other = ECKey.generate_key("P-256", parameters={"kid": "k"})
    token = jwt.encode({"alg": "ES256", "kid": "k"}, {"iss": ISSUER}, other)
    checks = id_token_checks(
        token, keys=KeySet([key]), algorithms=["ES256"], expected=expected(), access_token=None
    )
    assert checks[0].name == "signature"
    assert not checks[0].passed
