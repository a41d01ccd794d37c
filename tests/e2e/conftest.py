"""`idp demo` for real: the provider and the demo portal under gunicorn on loopback, started
once per module by the same command a newcomer runs; and a Chromium page (``page``) that fails
its test on any Content-Security-Policy violation."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from bs4 import BeautifulSoup
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Remember a failed test body, so fixtures can save screenshots as artefacts."""
    report: pytest.TestReport = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "idp demo exited early"
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise TimeoutError(url)


@dataclass(frozen=True)
class Demo:
    issuer: str
    portal: str
    # The variables the fixture set for `idp demo` (IDP_ISSUER, IDP_INSTANCE_PATH,
    # IDP_DATABASE_URL), so a test can run other `idp` commands against the same instance.
    environ: dict[str, str]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    instance: Path = tmp_path_factory.mktemp("demo-instance")
    idp_port, portal_port = _free_port(), _free_port()
    issuer = f"http://localhost:{idp_port}"
    environ = {
        "IDP_ISSUER": issuer,
        "IDP_INSTANCE_PATH": str(instance),
        "IDP_DATABASE_URL": f"sqlite:///{instance / 'idp.sqlite3'}",
    }
    env = {**os.environ, **environ}
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "idp"),
            "demo",
            "--portal-port",
            str(portal_port),
        ],
        env=env,
        start_new_session=True,
    )
    try:
        _wait_until_up(f"{issuer}/.well-known/openid-configuration", process)
        portal = f"http://127.0.0.1:{portal_port}"
        _wait_until_up(portal + "/", process)
        yield Demo(issuer, portal, environ)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def form_to_submit(
    page: requests.Response,
    data: dict[str, str],
    button: tuple[str, str] | None = None,
    selector: str = "form[method=post]",
) -> tuple[str, dict[str, str]]:
    """The action URL and the fields a browser would post from ``page``'s form: its hidden
    inputs (the CSRF token among them) and ticked checkboxes, the pressed ``button`` and the
    typed ``data``."""
    form = BeautifulSoup(page.text, "html.parser").select_one(selector)
    assert form is not None, page.text
    sent = form.select("input[type=hidden], input[type=checkbox][checked]")
    fields = {str(i["name"]): str(i.get("value", "on")) for i in sent}
    if button:
        fields[button[0]] = button[1]
    return urljoin(page.url, str(form.get("action") or page.url)), {**fields, **data}


def run_idp(demo: Demo, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
    """Run the `idp` command against the demo's database; its standard output."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "idp"), *args],
        env={**os.environ, **demo.environ},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path("test-artifacts")
# This machine has no network beyond loopback: keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_locale() -> str:
    """The browser's language (its ``Accept-Language``); a module overrides this fixture to
    see the pages in another language."""
    return "vi-VN"


@pytest.fixture
def page(request: pytest.FixtureRequest, browser_locale: str) -> Iterator[Page]:
    """A page in Debian's Chromium driven by Playwright, in ``browser_locale``. A page that
    breaks the Content-Security-Policy fails the test; a failed test leaves a screenshot."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium package is not installed (.ci/run installs it)")
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale=browser_locale)
        current = context.new_page()
        current.on("console", watch)
        yield current
        if request.node.stash.get(FAILED, False):
            ARTEFACTS.mkdir(exist_ok=True)
            current.screenshot(path=str(ARTEFACTS / f"{request.node.name}.png"), full_page=True)
        browser.close()
    assert not violations, violations
