"""Passkeys in a real browser: Chromium's virtual authenticator (DevTools protocol, WebAuthn
domain) stands in for a phone's screen lock. A citizen adds a passkey on the account page, signs
out, signs in to the demo portal with the passkey alone, then with the password and the passkey
as the second factor; the portal's ID token says what was done each time.

The provider runs at ``http://localhost:<port>``: ``localhost`` is a valid RP ID and a secure
context, so WebAuthn works without TLS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page, expect

from idp.sandbox import SANDBOX
from tests.e2e.conftest import Demo, run_idp

pytestmark = pytest.mark.e2e

PASSWORD = "A passkey e2e password 2026"
SANDBOX_IDS = {account.record.citizen_id for account in SANDBOX}


@pytest.fixture
def citizen_id(demo: Demo) -> str:
    """A generated citizen's new account, proven in person (identity level 2) and with no
    second factor yet. Taken from the end of the list: the other e2e tests take theirs from
    the start."""
    listed = json.loads(run_idp(demo, "population", "list", "--limit", "80", "--json"))
    chosen = [c["citizen_id"] for c in listed if c["citizen_id"] not in SANDBOX_IDS][-1]
    run_idp(
        demo,
        "accounts",
        "create",
        chosen,
        "--password-stdin",
        "--level",
        "2",
        stdin=PASSWORD + "\n",
    )
    return chosen


@pytest.fixture
def authenticator(page: Page) -> Iterator[tuple[CDPSession, str]]:
    """A virtual platform authenticator (CTAP2, internal transport) with discoverable
    credentials and user verification that always succeeds, as a phone's screen lock would."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield cdp, added["authenticatorId"]
    cdp.send("WebAuthn.disable")


def _id_token_claims(page: Page, demo: Demo) -> dict[str, Any]:
    """The ID token the portal received, from its token inspector."""
    page.goto(demo.portal + "/inspector")
    payload = page.locator("section[data-token=id_token] pre[data-payload]").text_content()
    assert payload
    claims: dict[str, Any] = json.loads(payload)
    return claims


def _back_at_the_portal(page: Page, demo: Demo) -> None:
    """Past the consent page, when the provider shows it, to the portal's page of the citizen."""
    page.wait_for_url(re.compile(f"{re.escape(demo.portal)}/me|/consent/"))
    if "/consent/" in page.url:
        page.click("button[name=decision][value=allow]")
    expect(page).to_have_url(demo.portal + "/me")


def _sign_out_of_the_portal(page: Page, demo: Demo) -> None:
    page.goto(demo.portal + "/me")
    page.click("button[data-action=sign-out]")
    expect(page).to_have_url(re.compile(re.escape(demo.portal + "/logged-out")))


def test_a_passkey_signs_in_alone_and_as_the_second_factor(
    demo: Demo, page: Page, citizen_id: str, authenticator: tuple[CDPSession, str]
) -> None:
    cdp, authenticator_id = authenticator

    # Add a passkey on the account page, after signing in with the password.
    page.goto(demo.issuer + "/account/passkeys/new")
    page.fill("input[name=citizen_id]", citizen_id)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(demo.issuer + "/account/passkeys/new")
    page.fill("input[name=name]", "Chromium ảo")
    page.click("[data-action=passkey-register]")
    expect(page).to_have_url(demo.issuer + "/account/passkeys")
    expect(page.locator("li[data-passkey-id] strong")).to_have_text("Chromium ảo")
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    (credential,) = stored["credentials"]
    assert credential["isResidentCredential"]
    assert credential["rpId"] == "localhost"

    page.goto(demo.issuer + "/account")
    page.click("form[action='/account/sign-out'] button[type=submit]")
    expect(page).to_have_url(demo.issuer + "/account/signed-out")

    # Conditional mediation: the password page asks the browser for a passkey as it loads, and
    # Chromium's virtual authenticator answers the autofill request at once. Nothing is typed.
    # The account is proven in person, so the passkey alone reaches loa3.
    page.goto(demo.portal + "/")
    page.click("a[data-action=sign-in]")
    _back_at_the_portal(page, demo)
    expect(page.locator("dd[data-claim=citizen_id]")).to_have_text(citizen_id)
    claims = _id_token_claims(page, demo)
    assert (claims["acr"], claims["amr"]) == ("loa3", ["hwk", "user", "mfa"])

    # In a browser without conditional mediation, the button.
    page.add_init_script(
        "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"
    )
    _sign_out_of_the_portal(page, demo)
    page.goto(demo.portal + "/")
    page.click("a[data-action=sign-in]")
    expect(page).to_have_url(re.compile(re.escape(demo.issuer + "/signin/")))
    page.click("[data-action=passkey-login]")
    _back_at_the_portal(page, demo)
    assert _id_token_claims(page, demo)["amr"] == ["hwk", "user", "mfa"]

    # The password first, then the passkey instead of a one-time code.
    _sign_out_of_the_portal(page, demo)
    page.goto(demo.portal + "/")
    page.click("a[data-action=sign-in]")
    page.fill("input[name=citizen_id]", citizen_id)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/signin/[^/]+/otp$"))
    expect(page.locator("input[name=otp]")).to_have_count(0)
    page.click("[data-action=passkey-login]")
    _back_at_the_portal(page, demo)
    claims = _id_token_claims(page, demo)
    assert (claims["acr"], claims["amr"]) == ("loa3", ["pwd", "hwk", "user", "mfa"])

    used = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    # Three sign-ins, each counted by the authenticator and accepted by the provider.
    assert used["credentials"][0]["signCount"] == credential["signCount"] + 3
