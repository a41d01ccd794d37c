"""`idp demo` for real: the provider and the demo portal under gunicorn on loopback, started
once per test session by the same command a newcomer runs; and a Chromium page (``page``) that
fails its test on any Content-Security-Policy violation.

Without Chromium (``IDP_E2E_CHROMIUM``, by default Debian's ``/usr/bin/chromium``) the browser
tests skip with one line that says how to install it; with ``IDP_E2E_REQUIRED=1`` (CI) any
skipped e2e test fails instead, so a run can never pass by skipping them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from bs4 import BeautifulSoup
from playwright.sync_api import ConsoleMessage, Page, sync_playwright
from sqlalchemy import create_engine, make_url, text

from idp import create_app
from idp.extensions import db
from tests.conftest import environ_for
from tests.factories import Portal, make_account, make_citizen, make_portal

FAILED = pytest.StashKey[bool]()
CHROMIUM = Path(os.environ.get("IDP_E2E_CHROMIUM", "/usr/bin/chromium"))
NO_CHROMIUM = (
    f"no Chromium at {CHROMIUM}: install it with `sudo apt install chromium` "
    "(or point IDP_E2E_CHROMIUM at one) to run the browser tests"
)


def _skips_are_failures() -> bool:
    return os.environ.get("IDP_E2E_REQUIRED") == "1"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a browser test before its fixtures start anything. The skip is raised here, so
    every such test reports the same place and reason, and ``-ra`` folds them into one line."""
    if "page" in getattr(item, "fixturenames", ()) and not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Remember a failed test body, so fixtures can save screenshots as artefacts; and under
    ``IDP_E2E_REQUIRED=1`` turn a skipped e2e test into a failure that gives the reason."""
    report: pytest.TestReport = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    required = _skips_are_failures() and item.get_closest_marker("e2e") is not None
    if required and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        reason = str(reason).removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"IDP_E2E_REQUIRED=1, so this e2e test may not skip: {reason}"
    return report


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.args!r} exited early"
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise TimeoutError(url)


IDP = str(Path(sys.executable).parent / "idp")


@contextmanager
def serving(environ: dict[str, str], *options: str) -> Iterator[str]:
    """`idp serve` (gunicorn) with ``environ`` on a free loopback port, in its own process
    group; its base URL while the block runs."""
    port = free_port()
    process = subprocess.Popen(
        [IDP, "serve", "--host", "127.0.0.1", "--port", str(port), *options],
        env={**os.environ, **environ},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/jwks.json", process)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


POSTGRES_URL = os.environ.get("IDP_TEST_DATABASE_URL")
SERVED_SCHEMA = "e2e_served"
SERVED_CITIZENS = ("087084000999", "079185004321")


@dataclass(frozen=True)
class SharedDatabase:
    """What providers started with :func:`serving` share: the settings (``IDP_*``) and data."""

    environ: dict[str, str]
    portal: Portal


@pytest.fixture(scope="session")
def shared_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDatabase]:
    """A schema of its own in the PostgreSQL database of IDP_TEST_DATABASE_URL (so the other
    tests' emptying of tables never meets it), upgraded by `idp init`, with the citizens of
    ``SERVED_CITIZENS`` holding accounts (password ``PASSWORD``, no second factor) and a portal
    asking for ``openid profile``."""
    if not POSTGRES_URL:
        pytest.skip("IDP_TEST_DATABASE_URL is not set")
    admin = create_engine(POSTGRES_URL)
    schema_url = make_url(POSTGRES_URL).update_query_dict(
        {"options": f"-csearch_path={SERVED_SCHEMA}"}
    )
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SERVED_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SERVED_SCHEMA}"))
    environ = environ_for(
        schema_url.render_as_string(hide_password=False), tmp_path_factory.mktemp("served")
    )
    try:
        subprocess.run([IDP, "init"], env={**os.environ, **environ}, check=True, timeout=120)
        app = create_app(environ)
        with app.app_context():
            for citizen_id in SERVED_CITIZENS:
                make_citizen(citizen_id)
                make_account(citizen_id, with_totp=False)
            portal = make_portal(scope="openid profile")
            db.session.remove()
            db.engine.dispose()
        yield SharedDatabase(environ, portal)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SERVED_SCHEMA} CASCADE"))
        admin.dispose()


@dataclass(frozen=True)
class Demo:
    issuer: str
    portal: str
    # The variables the fixture set for `idp demo` (IDP_ISSUER, IDP_INSTANCE_PATH,
    # IDP_DATABASE_URL), so a test can run other `idp` commands against the same instance.
    environ: dict[str, str]


@contextmanager
def running_demo(instance: Path) -> Iterator[Demo]:
    """`idp demo` on free loopback ports with its state in ``instance``, until the block ends.
    The e2e fixture and the README's screenshots (``tests/e2e/screenshots.py``) both start it."""
    idp_port, portal_port = free_port(), free_port()
    issuer = f"http://localhost:{idp_port}"
    environ = {
        "IDP_ISSUER": issuer,
        "IDP_INSTANCE_PATH": str(instance),
        "IDP_DATABASE_URL": f"sqlite:///{instance / 'idp.sqlite3'}",
    }
    env = {**os.environ, **environ}
    process = subprocess.Popen(
        [
            IDP,
            "demo",
            "--portal-port",
            str(portal_port),
        ],
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_up(f"{issuer}/.well-known/openid-configuration", process)
        portal = f"http://127.0.0.1:{portal_port}"
        wait_until_up(portal + "/", process)
        yield Demo(issuer, portal, environ)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("demo-instance")) as started:
        yield started


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
        [IDP, *args],
        env={**os.environ, **demo.environ},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


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
    breaks the Content-Security-Policy fails the test; a failed test leaves a screenshot of
    each page it left open."""
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
            # Every page still open, in every context: a test's second tab (the outbox) too.
            ARTEFACTS.mkdir(exist_ok=True)
            shown = [opened for each in browser.contexts for opened in each.pages]
            for number, opened in enumerate(shown):
                name = request.node.name + (f"-{number + 1}" if number else "")
                opened.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
        browser.close()
    assert not violations, violations
