"""The language switcher in a real browser: without script, the choice shows at once and is
still there on the next visit, after the session cookie is gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e


def test_a_chosen_language_is_remembered_on_the_next_visit(demo: Demo, page: Page) -> None:
    page.goto(demo.issuer + "/portals")
    # The browser asks for Vietnamese (the fixture's locale), so the page starts in it.
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("form.languages [aria-current=true]")).to_have_text("Tiếng Việt")

    page.click("form.languages button[value=en]")
    expect(page).to_have_url(demo.issuer + "/portals")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("form.languages [aria-current=true]")).to_have_text("English")
    expect(page.locator("h1")).to_contain_text("services")

    # The next visit: the session cookie has gone (a closed browser, a sign-out); the choice has
    # not, and it holds on other pages too.
    cookies = page.context.cookies()
    assert {c["name"] for c in cookies} >= {"idp_session", "idp_locale"}
    page.context.clear_cookies(name="idp_session")
    page.goto(demo.issuer + "/activate")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("form.languages button[value=vi]")).to_have_attribute("lang", "vi")

    page.click("form.languages button[value=vi]")
    expect(page).to_have_url(demo.issuer + "/activate")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
