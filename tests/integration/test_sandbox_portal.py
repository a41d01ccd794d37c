"""`idp demo`'s registration of the demo portal: reused across restarts while it still matches
what the portal needs, replaced when it does not (another port, a wider scope, logout URIs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from idp.extensions import db
from idp.oidc.clients import find_client
from idp.sandbox import PORTAL_FILE, PORTAL_SCOPE, PORTAL_SIGN_IN_SCOPE, _demo_portal

PORTAL_URL = "http://127.0.0.1:5001"


@pytest.fixture
def saved_registration(app_context: Flask) -> Iterator[Path]:
    path = Path(app_context.instance_path) / PORTAL_FILE
    yield path
    path.unlink(missing_ok=True)


def test_the_portal_is_registered_for_every_procedure_and_both_logouts(
    saved_registration: Path,
) -> None:
    setup = _demo_portal(PORTAL_URL)
    client = find_client(setup.client_id)
    assert client is not None
    assert client.redirect_uris == [f"{PORTAL_URL}/callback"]
    assert client.scope == " ".join(PORTAL_SCOPE.split())
    assert client.post_logout_redirect_uris == [f"{PORTAL_URL}/logged-out"]
    assert client.backchannel_logout_uri == f"{PORTAL_URL}/backchannel-logout"
    assert client.token_endpoint_auth_method == "client_secret_basic"

    environ = setup.portal_environ("http://localhost:5000", PORTAL_URL)
    # The sign-in button asks for less than the registration allows.
    assert environ["RP_SCOPE"] == PORTAL_SIGN_IN_SCOPE
    assert environ["RP_INSTANCE_PATH"].endswith("demo-portal")
    assert environ["RP_CLIENT_SECRET"] == setup.client_secret


def test_a_matching_registration_is_reused(saved_registration: Path) -> None:
    first = _demo_portal(PORTAL_URL)
    assert _demo_portal(PORTAL_URL) == first


@pytest.mark.parametrize(
    ("column", "old_value"),
    [
        ("scope", "openid profile citizen_id health_insurance driving_license"),
        ("post_logout_redirect_uris", [f"{PORTAL_URL}/"]),
        ("backchannel_logout_uri", None),
        ("redirect_uris", ["http://127.0.0.1:5999/callback"]),
    ],
)
def test_an_outdated_registration_is_replaced(
    saved_registration: Path, column: str, old_value: object
) -> None:
    """A registration saved by an older `idp demo` lacks what the portal now uses."""
    first = _demo_portal(PORTAL_URL)
    client = find_client(first.client_id)
    assert client is not None
    setattr(client, column, old_value)
    db.session.commit()
    replaced = _demo_portal(PORTAL_URL)
    assert replaced.client_id != first.client_id
    assert _demo_portal(PORTAL_URL) == replaced
