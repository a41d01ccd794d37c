"""The README's pictures, taken from a running demo so that they show the pages as they are.

    .venv/bin/python -m tests.e2e.screenshots [FOLDER]      (or: make screenshots)

starts `idp demo` as the e2e suite does (``conftest.running_demo``), signs in to the demo portal
in Chromium as a sandbox citizen, with the one-time code and the consent page, which releases
their data to the portal, then opens the access history in the account pages; and writes
``sign-in.png``, ``consent.png`` and ``access-history.png`` to FOLDER (``docs/screenshots``).
``tests/e2e/test_screenshots.py`` runs it, so it cannot rot unseen.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import pyotp
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from idp.sandbox import SANDBOX
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Demo, running_demo

FOLDER = Path("docs/screenshots")
PICTURES = ("sign-in.png", "consent.png", "access-history.png")
# A laptop's window, at one device pixel per CSS pixel: legible and small.
VIEWPORT = ViewportSize(width=1000, height=700)
# Screenshots of these pages hold about a thousand colours, mostly the anti-aliasing of text; 256
# look the same and take half the bytes.
COLOURS = 256


def shoot(page: Page, path: Path) -> None:
    picture = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    picture.quantize(COLOURS, dither=Image.Dither.NONE).save(path, optimize=True)


def take(demo: Demo, browser: Browser, folder: Path) -> list[Path]:
    """Walk one citizen through a sign-in, consent and release; return the pictures written."""
    folder.mkdir(parents=True, exist_ok=True)
    citizen = SANDBOX[0]
    assert citizen.totp_secret
    context = browser.new_context(locale="en-GB", viewport=VIEWPORT)
    page = context.new_page()
    page.goto(demo.portal + "/")
    page.click("a[data-action=sign-in]")
    page.fill("input[name=citizen_id]", citizen.record.citizen_id)
    shoot(page, folder / "sign-in.png")
    page.fill("input[name=password]", citizen.password)
    page.keyboard.press("Enter")
    page.fill("input[name=otp]", pyotp.TOTP(citizen.totp_secret).now())
    page.keyboard.press("Enter")
    allow = page.locator("button[name=decision][value=allow]")
    expect(allow).to_be_visible()
    shoot(page, folder / "consent.png")
    allow.click()
    expect(page).to_have_url(demo.portal + "/me")
    page.goto(demo.issuer + "/account/history")
    expect(page.locator("section.release").first).to_be_visible()
    shoot(page, folder / "access-history.png")
    context.close()
    return [folder / name for name in PICTURES]


def main(argv: list[str]) -> None:
    folder = Path(argv[0]) if argv else FOLDER
    with (
        tempfile.TemporaryDirectory(prefix="screenshots-demo-") as instance,
        running_demo(Path(instance)) as demo,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for path in take(demo, browser, folder):
                print(f"{path} ({path.stat().st_size // 1024} KiB)")
        finally:
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
