"""The lab in the portal: /lab lists and runs the scenarios, /lab/report.json runs them for
automation; both play against a stub provider here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from lab_stub import StubProvider, portal_environ_for

from relying_party_demo import create_app
from relying_party_demo.config import ConfigurationError
from relying_party_demo.lab.runner import discover


def _portal(environ: dict[str, str]) -> Flask:
    app = create_app(environ)
    app.testing = True
    return app


@pytest.fixture
def lab_portal(stub: StubProvider, tmp_path: Path) -> FlaskClient:
    return _portal(portal_environ_for(stub, str(tmp_path))).test_client()


def _csrf(client: FlaskClient) -> str:
    page = BeautifulSoup(client.get("/lab/").text, "html.parser")
    field = page.select_one("form[action='/lab/run'] input[name=csrf_token]")
    assert field is not None
    return str(field["value"])


def test_the_page_lists_every_scenario_with_its_rule(lab_portal: FlaskClient) -> None:
    response = lab_portal.get("/lab/")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    listed = [str(a["data-scenario"]) for a in page.select("article[data-scenario]")]
    assert listed == [s.name for s in discover()]
    for scenario in discover():
        assert scenario.rule in response.text
    assert page.select_one("[data-action=run-all]") is not None
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_running_one_scenario_shows_its_result(lab_portal: FlaskClient) -> None:
    token = _csrf(lab_portal)
    response = lab_portal.post("/lab/run/token_code_replay", data={"csrf_token": token})
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    article = page.select_one("article[data-scenario=token_code_replay]")
    assert article is not None
    assert article["data-outcome"] == "PASS"
    assert "the same code redeemed again" in article.text
    assert len(page.select("article[data-outcome]")) == 1


def test_running_all_scenarios_shows_a_summary(
    start_stub: Callable[..., StubProvider], tmp_path: Path
) -> None:
    stub = start_stub("accept_replayed_code")
    client = _portal(portal_environ_for(stub, str(tmp_path))).test_client()
    response = client.post("/lab/run", data={"csrf_token": _csrf(client)})
    page = BeautifulSoup(response.text, "html.parser")
    outcomes = {str(a["data-scenario"]): str(a["data-outcome"]) for a in page.select("article")}
    assert outcomes["token_code_replay"] == "FAIL"
    assert outcomes["authorize_pkce_missing"] == "PASS"
    assert page.select_one("[data-lab=summary]") is not None


def test_a_run_needs_the_csrf_token(lab_portal: FlaskClient, stub: StubProvider) -> None:
    assert lab_portal.post("/lab/run").status_code == 400
    assert (
        lab_portal.post("/lab/run/token_code_replay", data={"csrf_token": "x"}).status_code == 400
    )
    assert not any(r.startswith("GET /authorize") for r in stub.requests)


def test_an_unknown_scenario_is_not_found(lab_portal: FlaskClient) -> None:
    assert (
        lab_portal.post("/lab/run/nothing", data={"csrf_token": _csrf(lab_portal)}).status_code
        == 404
    )


def test_report_json_runs_every_scenario(lab_portal: FlaskClient) -> None:
    response = lab_portal.get("/lab/report.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    report = response.get_json()
    assert report["ok"] is True
    assert report["summary"]["PASS"] == len(discover())
    assert [r["name"] for r in report["results"]] == [s.name for s in discover()]
    first = report["results"][0]
    assert {"name", "title", "rule", "expected", "outcome", "checks", "exchanges"} <= set(first)
    assert {"label", "method", "url", "sent", "status", "headers", "body"} <= set(
        first["exchanges"][0]
    )


def test_report_json_runs_the_scenarios_named(lab_portal: FlaskClient) -> None:
    response = lab_portal.get(
        "/lab/report.json?scenario=token_pkce_downgrade&scenario=logout_open_redirect"
    )
    names = [r["name"] for r in response.get_json()["results"]]
    assert names == ["token_pkce_downgrade", "logout_open_redirect"]
    unknown = lab_portal.get("/lab/report.json?scenario=nothing")
    assert unknown.status_code == 400
    assert unknown.get_json()["error"] == "unknown_scenario"


def test_report_json_says_when_a_scenario_fails(
    start_stub: Callable[..., StubProvider], tmp_path: Path
) -> None:
    stub = start_stub("open_logout_redirect")
    client = _portal(portal_environ_for(stub, str(tmp_path))).test_client()
    report = client.get("/lab/report.json?scenario=logout_open_redirect").get_json()
    assert report["ok"] is False
    assert report["results"][0]["outcome"] == "FAIL"


def test_without_lab_settings_the_lab_is_off(stub: StubProvider, tmp_path: Path) -> None:
    environ = {
        k: v for k, v in portal_environ_for(stub, str(tmp_path)).items() if k.startswith("RP_")
    }
    client = _portal(environ).test_client()
    page = client.get("/lab/")
    assert page.status_code == 200
    assert "LAB_CITIZEN_ID" in page.text
    assert BeautifulSoup(page.text, "html.parser").select_one("[data-action=run]") is None
    off = client.get("/lab/report.json")
    assert off.status_code == 503
    assert off.get_json()["error"] == "lab_not_configured"
    assert stub.requests == []


def test_half_made_lab_settings_stop_the_portal(stub: StubProvider, tmp_path: Path) -> None:
    environ = portal_environ_for(stub, str(tmp_path))
    del environ["LAB_SECOND_CLIENT_SECRET"]
    with pytest.raises(ConfigurationError, match="LAB_SECOND_CLIENT_SECRET"):
        create_app(environ)
