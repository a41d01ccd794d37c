"""``python -m relying_party_demo.lab``: run the lab's scenarios against any issuer, print the
results (``--json`` for the report), and exit 1 when a scenario fails or cannot run.

Every option can come from the environment instead (``LAB_*``, and ``RP_*`` for the first
client), so that passwords and secrets need not be on the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence

from relying_party_demo import config as portal_config
from relying_party_demo.lab.config import (
    DEFAULT_TIMEOUT,
    MAX_OTP_WAIT,
    SECOND_SCOPE,
    LabClient,
    LabSettings,
    citizen,
)
from relying_party_demo.lab.results import Outcome, Report
from relying_party_demo.lab.runner import discover, run_scenarios

DEFAULT_REDIRECT_URI = f"{portal_config.DEFAULT_BASE_URL}/callback"

# option, environment variable, default, help
OPTIONS: tuple[tuple[str, str, str | None, str], ...] = (
    ("--issuer", "RP_ISSUER", portal_config.DEFAULT_ISSUER, "the provider's issuer URL"),
    ("--client-id", "RP_CLIENT_ID", None, "the first client (client_secret_basic)"),
    ("--client-secret", "RP_CLIENT_SECRET", None, "its secret"),
    ("--redirect-uri", "LAB_REDIRECT_URI", DEFAULT_REDIRECT_URI, "its registered redirect URI"),
    ("--scope", "RP_SCOPE", portal_config.DEFAULT_SCOPE, "the scopes it is registered for"),
    ("--second-client-id", "LAB_SECOND_CLIENT_ID", None, "a second client (cross-client tests)"),
    ("--second-client-secret", "LAB_SECOND_CLIENT_SECRET", None, "its secret"),
    ("--second-redirect-uri", "LAB_SECOND_REDIRECT_URI", None, "its registered redirect URI"),
    ("--second-scope", "LAB_SECOND_SCOPE", SECOND_SCOPE, "its scopes (with offline_access)"),
    ("--citizen-id", "LAB_CITIZEN_ID", None, "the citizen the lab signs in"),
    ("--password", "LAB_PASSWORD", None, "their password"),
    ("--totp-secret", "LAB_TOTP_SECRET", None, "their TOTP secret (base32)"),
    ("--second-citizen", "LAB_SECOND_CITIZEN_ID", None, "another citizen (id_token_hint)"),
    ("--second-password", "LAB_SECOND_PASSWORD", None, "their password"),
    ("--second-totp-secret", "LAB_SECOND_TOTP_SECRET", None, "their TOTP secret"),
)


def parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="python -m relying_party_demo.lab",
        description="Run the security lab's scenarios against an OpenID provider.",
        epilog="Each option defaults to the environment variable named in brackets.",
    )
    defaults = dict(environ)
    if "RP_BASE_URL" in environ:
        # Where the portal's own registration puts its redirect URI (relying_party_demo.config).
        defaults.setdefault("LAB_REDIRECT_URI", f"{environ['RP_BASE_URL'].rstrip('/')}/callback")
    for option, variable, default, text in OPTIONS:
        parse.add_argument(
            option, default=defaults.get(variable) or default, help=f"{text} [{variable}]"
        )
    parse.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this scenario (repeatable); --list shows the names",
    )
    parse.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parse.add_argument("--json", action="store_true", help="print the report as JSON")
    parse.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per HTTP request"
    )
    parse.add_argument(
        "--max-otp-wait",
        type=float,
        default=MAX_OTP_WAIT,
        help="seconds the lab may wait for a fresh one-time code",
    )
    return parse


def settings_from(arguments: argparse.Namespace, parse: argparse.ArgumentParser) -> LabSettings:
    for required in ("client_id", "client_secret", "citizen_id", "password"):
        if not getattr(arguments, required):
            parse.error(f"--{required.replace('_', '-')} is required")
    if arguments.second_client_id and not arguments.second_client_secret:
        parse.error("--second-client-secret is required with --second-client-id")
    if arguments.second_citizen and not arguments.second_password:
        parse.error("--second-password is required with --second-citizen")
    if not 0 < arguments.timeout <= 120:
        parse.error("--timeout must be between 0 and 120 seconds")
    second_client = None
    if arguments.second_client_id:
        second_redirect = arguments.second_redirect_uri or _beside(arguments.redirect_uri)
        second_client = LabClient(
            arguments.second_client_id,
            arguments.second_client_secret,
            second_redirect,
            " ".join(arguments.second_scope.split()),
            "second client",
        )
    second_citizen = None
    if arguments.second_citizen:
        second_citizen = citizen(
            arguments.second_citizen,
            arguments.second_password,
            arguments.second_totp_secret,
            "second citizen",
        )
    return LabSettings(
        issuer=arguments.issuer,
        client=LabClient(
            arguments.client_id,
            arguments.client_secret,
            arguments.redirect_uri,
            " ".join(arguments.scope.split()),
            "client",
        ),
        citizen=citizen(arguments.citizen_id, arguments.password, arguments.totp_secret, "citizen"),
        second_client=second_client,
        second_citizen=second_citizen,
        timeout=arguments.timeout,
        max_otp_wait=max(0.0, arguments.max_otp_wait),
    )


def _beside(redirect_uri: str) -> str:
    """The lab's default for the second client: ``/lab/callback`` on the first one's origin."""
    scheme, _, rest = redirect_uri.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/lab/callback"


def render(report: Report) -> str:
    lines = [f"Security lab against {report.issuer}", ""]
    for result in report.results:
        lines.append(f"{result.outcome.value:<5}  {result.name}  ({result.rule})")
        if result.outcome is not Outcome.PASS and result.reason:
            lines.append(f"       {result.reason}")
        for check in result.checks:
            if not check.passed:
                lines.append(f"       ✗ {check.expectation}: {check.observed}")
    summary = ", ".join(f"{count} {outcome}" for outcome, count in report.summary().items())
    lines += ["", f"{summary} in {report.duration_ms / 1000:.1f} s"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parse = parser(os.environ if environ is None else environ)
    arguments = parse.parse_args(argv)
    if arguments.list:
        for scenario in discover():
            print(f"{scenario.name:<42} {scenario.title}")
        return 0
    settings = settings_from(arguments, parse)
    try:
        report = run_scenarios(settings, arguments.scenario)
    except ValueError as error:
        parse.error(str(error))
    if arguments.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print(render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
