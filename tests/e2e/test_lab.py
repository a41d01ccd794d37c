"""The security lab against the real provider of `idp demo`: every scenario passes.

The lab runs as a tester runs it, `python -m relying_party_demo.lab`, with the demo portal's
registration as its first client, a second client registered with the real `idp clients create`,
and two citizens whose accounts (with TOTP) are made for this test with `idp accounts create`, so
that no other test spends their one-time codes. Secrets travel in the environment, not argv.
`/lab/report.json` is then checked on a portal built in-process against the same provider.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from idp.sandbox import PORTAL_FILE, PORTAL_SCOPE, SANDBOX
from relying_party_demo import create_app
from relying_party_demo.lab.runner import discover
from tests.e2e.conftest import Demo, run_idp

pytestmark = pytest.mark.e2e

STEP_TIMEOUT = 60
LAB_TIMEOUT = 300
PASSWORD = "Lab e2e password 2026"
SECOND_SCOPE = "openid profile offline_access"


@dataclass(frozen=True)
class Account:
    citizen_id: str
    totp_secret: str


def _idp(demo: Demo, *args: str, stdin: str | None = None) -> str:
    return run_idp(demo, *args, stdin=stdin, timeout=STEP_TIMEOUT)


@pytest.fixture(scope="module")
def accounts(demo: Demo) -> Iterator[Account]:
    """New accounts with TOTP for generated citizens, made as the test asks for them."""
    return _new_accounts(demo)


def _new_accounts(demo: Demo) -> Iterator[Account]:
    # From the end of the registry's list: the procedures test takes its citizens from the start.
    listed = json.loads(_idp(demo, "population", "list", "--limit", "250", "--json"))
    sandbox = {account.record.citizen_id for account in SANDBOX}
    for citizen in reversed(listed):
        if citizen["citizen_id"] in sandbox:
            continue
        made = json.loads(
            _idp(
                demo,
                "accounts", "create", citizen["citizen_id"], "--password-stdin", "--with-totp",
                "--json",
                stdin=PASSWORD + "\n",
            )
        )  # fmt: skip
        secret = parse_qs(urlsplit(made["otpauth_uri"]).query)["secret"][0]
        yield Account(citizen["citizen_id"], secret)


@pytest.fixture(scope="module")
def portal_client(demo: Demo) -> dict[str, str]:
    """The demo portal's own registration (client_secret_basic), as `idp demo` saved it."""
    saved = json.loads((Path(demo.environ["IDP_INSTANCE_PATH"]) / PORTAL_FILE).read_text())
    return {"client_id": saved["client_id"], "client_secret": saved["client_secret"]}


@pytest.fixture(scope="module")
def second_client(demo: Demo) -> dict[str, str]:
    """The lab's second client, registered as `relying_party_demo.lab.wiring` describes."""
    created = _idp(
        demo,
        "clients", "create",
        "--name", "Security lab (second client)",
        "--redirect-uri", f"{demo.portal}/lab/callback",
        "--scope", SECOND_SCOPE,
        "--purpose", "profile=Kiểm thử bảo mật",
        "--json",
    )  # fmt: skip
    registration: dict[str, str] = json.loads(created)
    return registration


def test_every_lab_scenario_passes_against_the_provider(
    demo: Demo,
    accounts: Iterator[Account],
    portal_client: dict[str, str],
    second_client: dict[str, str],
) -> None:
    first, second = next(accounts), next(accounts)
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RP_", "LAB_"))},
        "RP_CLIENT_SECRET": portal_client["client_secret"],
        "LAB_SECOND_CLIENT_SECRET": second_client["client_secret"],
        "LAB_PASSWORD": PASSWORD,
        "LAB_TOTP_SECRET": first.totp_secret,
        "LAB_SECOND_PASSWORD": PASSWORD,
        "LAB_SECOND_TOTP_SECRET": second.totp_secret,
    }
    done = subprocess.run(
        [
            sys.executable, "-m", "relying_party_demo.lab", "--json",
            "--issuer", demo.issuer,
            "--client-id", portal_client["client_id"],
            "--redirect-uri", f"{demo.portal}/callback",
            "--scope", PORTAL_SCOPE,
            "--second-client-id", second_client["client_id"],
            "--second-redirect-uri", f"{demo.portal}/lab/callback",
            "--second-scope", SECOND_SCOPE,
            "--citizen-id", first.citizen_id,
            "--second-citizen", second.citizen_id,
            "--timeout", "15",
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=LAB_TIMEOUT,
        check=False,
    )  # fmt: skip
    assert done.stdout, done.stderr
    report = json.loads(done.stdout)
    outcomes = {result["name"]: result["outcome"] for result in report["results"]}
    failing = [r for r in report["results"] if r["outcome"] != "PASS"]
    assert not failing, json.dumps(failing, ensure_ascii=False, indent=1)[:8000]
    assert set(outcomes) == {scenario.name for scenario in discover()}
    assert done.returncode == 0, done.stderr
    # The report shows what was sent and received, with no secret in full.
    assert portal_client["client_secret"] not in done.stdout
    assert second_client["client_secret"] not in done.stdout
    assert PASSWORD not in done.stdout
    assert first.totp_secret not in done.stdout


def test_report_json_runs_against_the_provider(
    demo: Demo,
    accounts: Iterator[Account],
    portal_client: dict[str, str],
    tmp_path: Path,
) -> None:
    citizen = next(accounts)
    portal = create_app(
        {
            "RP_ISSUER": demo.issuer,
            "RP_CLIENT_ID": portal_client["client_id"],
            "RP_CLIENT_SECRET": portal_client["client_secret"],
            "RP_BASE_URL": demo.portal,
            "RP_SECRET_KEY": "lab-e2e-secret-key-0123456789abcdef",
            "RP_INSTANCE_PATH": str(tmp_path),
            "LAB_SCOPE": PORTAL_SCOPE,
            "LAB_CITIZEN_ID": citizen.citizen_id,
            "LAB_PASSWORD": PASSWORD,
            "LAB_TOTP_SECRET": citizen.totp_secret,
        }
    )
    response = portal.test_client().get(
        "/lab/report.json?scenario=authorize_prompt_none_without_session"
        "&scenario=token_code_replay&scenario=token_refresh_reuse"
    )
    assert response.status_code == 200
    report = response.get_json()
    outcomes = [(r["name"], r["outcome"]) for r in report["results"]]
    assert outcomes == [
        ("authorize_prompt_none_without_session", "PASS"),
        ("token_code_replay", "PASS"),
        ("token_refresh_reuse", "SKIP"),  # no second client configured here
    ], json.dumps(report, ensure_ascii=False)[:4000]
    assert report["ok"] is True
