"""A generated citizen activates their e-ID account in Chromium, reading the code from the
development outbox in a second tab, and goes on to sign in on the demo portal."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from idp.notify.notifier import Contact
from idp.population.registry import phone_in_e164
from idp.sandbox import SANDBOX
from tests.e2e.conftest import Demo, run_idp

pytestmark = pytest.mark.e2e

PASSWORD = "zebra quartz kiwi 2026"
SANDBOX_IDS = {account.record.citizen_id for account in SANDBOX}


def _citizen_without_account(demo: Demo) -> dict[str, str]:
    """The last of the generated citizens by number: the other e2e modules take the first ones."""
    listed = json.loads(run_idp(demo, "population", "list", "--limit", "400", "--json"))
    generated = [c for c in listed if c["citizen_id"] not in SANDBOX_IDS]
    return dict(generated[-1])


def test_a_citizen_activates_their_account_then_signs_in_on_the_portal(
    demo: Demo, page: Page
) -> None:
    citizen = _citizen_without_account(demo)
    names = (citizen["family_name"], citizen["middle_name"], citizen["given_name"])
    full_name = " ".join(name for name in names if name)
    page.goto(demo.portal + "/procedures/certificate-copy")
    page.click("a[data-action=start-procedure]")
    expect(page).to_have_url(re.compile(re.escape(demo.issuer + "/signin/")))
    page.click("a[data-action=activate]")

    page.fill("input[name=citizen_id]", citizen["citizen_id"])
    page.fill("input[name=birth_date]", citizen["birth_date"])  # a date input takes ISO dates
    page.fill("input[name=full_name]", full_name)
    page.keyboard.press("Enter")
    expect(page).to_have_url(demo.issuer + "/activate/code")
    masked = page.locator("[data-contact]").inner_text()

    if citizen["phone"]:
        contact = Contact("sms", phone_in_e164(citizen["phone"]))
    else:
        contact = Contact("email", citizen["email"])
    outbox = page.context.new_page()
    outbox.goto(demo.issuer + "/dev/outbox")
    message = outbox.locator(
        f"article[data-kind=activation_code][data-to='{contact.address}']"
    ).first
    body = message.locator("[data-body]").inner_text()
    assert "mã kích hoạt" in body  # the pages were in Vietnamese, so is the message
    found = re.search(r"\b\d{8}\b", body)
    assert found is not None, body
    # The page showed where the code went, masked (the integration tests check the masking).
    assert masked == contact.masked
    outbox.close()

    page.fill("input[name=otp]", found.group())
    page.keyboard.press("Enter")
    expect(page).to_have_url(demo.issuer + "/activate/password")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_confirm]", PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(demo.issuer + "/activate/done")

    page.click("a[data-action=continue-sign-in]")
    page.fill("input[name=citizen_id]", citizen["citizen_id"])
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.click("button[name=decision][value=allow]")
    expect(page).to_have_url(demo.portal + "/procedures/certificate-copy")
    expect(page.locator("[data-signed-in-acr]")).to_have_text("loa1")
