"""`python -m relying_party_demo.lab`: the scenarios against any issuer; exit 1 on a failure."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from lab_stub import (
    CITIZEN,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    SCOPE,
    SECOND_CITIZEN,
    SECOND_CLIENT_ID,
    SECOND_CLIENT_SECRET,
    SECOND_REDIRECT_URI,
    StubProvider,
)

from relying_party_demo.lab.__main__ import main
from relying_party_demo.lab.runner import discover


def _arguments(stub: StubProvider) -> list[str]:
    return [
        "--issuer", stub.issuer,
        "--client-id", CLIENT_ID,
        "--client-secret", CLIENT_SECRET,
        "--redirect-uri", REDIRECT_URI,
        "--scope", SCOPE,
        "--second-client-id", SECOND_CLIENT_ID,
        "--second-client-secret", SECOND_CLIENT_SECRET,
        "--second-redirect-uri", SECOND_REDIRECT_URI,
        "--citizen-id", CITIZEN[0],
        "--password", CITIZEN[1],
        "--totp-secret", CITIZEN[2],
        "--second-citizen", SECOND_CITIZEN[0],
        "--second-password", SECOND_CITIZEN[1],
        "--second-totp-secret", SECOND_CITIZEN[2],
        "--timeout", "5",
    ]  # fmt: skip


def test_all_scenarios_pass_and_exit_zero(
    stub: StubProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_arguments(stub), environ={}) == 0
    printed = capsys.readouterr().out
    assert f"{len(discover())} PASS, 0 FAIL, 0 ERROR, 0 SKIP" in printed


def test_a_failure_exits_one_and_says_which(
    start_stub: Callable[..., StubProvider], capsys: pytest.CaptureFixture[str]
) -> None:
    stub = start_stub("ignore_verifier")
    status = main([*_arguments(stub), "--scenario", "token_pkce_wrong_verifier", "--json"], {})
    assert status == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["results"][0]["outcome"] == "FAIL"


def test_options_come_from_the_environment(
    stub: StubProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {
        "RP_ISSUER": stub.issuer,
        "RP_CLIENT_ID": CLIENT_ID,
        "RP_CLIENT_SECRET": CLIENT_SECRET,
        "RP_BASE_URL": "http://127.0.0.1:5001",
        "RP_SCOPE": SCOPE,
        "LAB_CITIZEN_ID": CITIZEN[0],
        "LAB_PASSWORD": CITIZEN[1],
        "LAB_TOTP_SECRET": CITIZEN[2],
    }
    assert (
        main(["--scenario", "token_code_replay", "--scenario", "token_refresh_reuse"], environ) == 0
    )
    printed = capsys.readouterr().out
    assert "PASS   token_code_replay" in printed
    assert "SKIP   token_refresh_reuse" in printed


def test_list_names_the_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"], environ={}) == 0
    printed = capsys.readouterr().out
    assert all(scenario.name in printed for scenario in discover())


@pytest.mark.parametrize(
    "arguments",
    [
        ["--client-id", "x"],
        ["--client-id", "x", "--client-secret", "y", "--citizen-id", "1", "--password", "p",
         "--scenario", "nothing"],
    ],
)  # fmt: skip
def test_bad_arguments_exit_two(arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(arguments, environ={})
    assert exited.value.code == 2
