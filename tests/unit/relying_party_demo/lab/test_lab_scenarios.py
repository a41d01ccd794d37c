"""Every scenario passes against a correct provider and fails against one that breaks its rule:
the stub provider (lab_stub.py) misbehaves in exactly one way per case."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from authlib.integrations.base_client.sync_openid import OpenIDMixin
from authlib.oidc.core import UserInfo
from lab_stub import StubProvider, settings_for

from relying_party_demo.lab.results import Outcome, Result
from relying_party_demo.lab.runner import discover, run_scenarios

# Each scenario, and the misbehaviours of the stub that it must catch.
FAILING: dict[str, tuple[str, ...]] = {
    "authorize_consent_csrf": ("consent_without_csrf",),
    "authorize_id_token_hint_other_citizen": ("ignore_id_token_hint",),
    "authorize_pkce_missing": ("pkce_optional",),
    "authorize_pkce_plain": ("accept_plain",),
    "authorize_prompt_none_without_session": ("prompt_none_shows_login", "prompt_none_no_iss"),
    "authorize_redirect_uri_tampering": ("lax_redirect_uri",),
    "authorize_scope_escalation": ("narrow_scope",),
    "flow_token_in_url": ("token_in_redirect", "code_in_page_url"),
    "logout_open_redirect": ("open_logout_redirect",),
    "token_code_other_client": ("code_any_client",),
    "token_code_replay": ("accept_replayed_code", "keep_tokens_on_replay"),
    "token_pkce_downgrade": ("verifier_optional",),
    "token_pkce_wrong_verifier": ("ignore_verifier",),
    "token_refresh_reuse": ("no_rotation", "reuse_keeps_family"),
    "userinfo_forged_access_token": ("accept_any_jwt",),
}
# Scenarios of the relying party's own validation: they fail when the portal is broken.
RELYING_PARTY = ("rp_forged_id_token",)

CASES = [(name, bad) for name, bads in FAILING.items() for bad in bads]


def _run(stub: StubProvider, name: str, **settings: bool) -> Result:
    report = run_scenarios(settings_for(stub, **settings), [name])
    (result,) = report.results
    return result


def _explain(result: Result) -> str:
    return json.dumps(result.as_json(), ensure_ascii=False, indent=1)[:6000]


def test_every_scenario_is_covered_by_a_failing_case() -> None:
    """A new scenario comes with a misbehaviour that makes it FAIL (add it to FAILING)."""
    names = {scenario.name for scenario in discover()}
    assert names == set(FAILING) | set(RELYING_PARTY)


def test_each_scenario_module_cites_its_rule() -> None:
    for scenario in discover():
        for citation in scenario.rule.split(";"):
            assert citation.split(" (")[0].strip() in scenario.doc, (scenario.name, citation)
        assert scenario.title
        assert scenario.expected


def test_every_scenario_passes_against_a_correct_provider(stub: StubProvider) -> None:
    report = run_scenarios(settings_for(stub))
    assert [r.name for r in report.results] == [s.name for s in discover()]
    for result in report.results:
        assert result.outcome is Outcome.PASS, _explain(result)
        assert result.checks
        assert all(check.passed for check in result.checks)
    assert report.ok


def test_a_run_signs_each_citizen_in_once(stub: StubProvider) -> None:
    run_scenarios(settings_for(stub))
    sign_ins = [r for r in stub.requests if r.startswith("POST /login/")]
    assert len(sign_ins) == 2  # the citizen, and the second citizen


@pytest.mark.parametrize(("name", "misbehaviour"), CASES)
def test_a_scenario_fails_when_the_provider_breaks_its_rule(
    start_stub: Callable[..., StubProvider], name: str, misbehaviour: str
) -> None:
    result = _run(start_stub(misbehaviour), name)
    assert result.outcome is Outcome.FAIL, _explain(result)
    assert result.reason
    assert any(not check.passed for check in result.checks)


def test_forged_id_tokens_fail_when_the_portal_skips_signature_checks(
    stub: StubProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    def trusting(self: OpenIDMixin, token: dict[str, Any], nonce: str, **kwargs: Any) -> UserInfo:
        payload = token["id_token"].split(".")[1]
        return UserInfo(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))

    monkeypatch.setattr(OpenIDMixin, "parse_id_token", trusting)
    result = _run(stub, "rp_forged_id_token")
    assert result.outcome is Outcome.FAIL, _explain(result)
    assert [check.passed for check in result.checks] == [False, False, False]


def test_forged_id_tokens_go_through_the_portals_sign_in(stub: StubProvider) -> None:
    result = _run(stub, "rp_forged_id_token")
    assert result.outcome is Outcome.PASS, _explain(result)
    calls = [e for e in result.exchanges if e.method == "CALL"]
    assert [c.url for c in calls] == ["relying_party_demo.signin.complete_sign_in"] * 4
    assert calls[0].body.startswith("accepted")
    assert all(c.body.startswith("refused: invalid_id_token") for c in calls[1:])


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("token_code_other_client", "second_client"),
        ("token_refresh_reuse", "second_client"),
        ("authorize_id_token_hint_other_citizen", "second_citizen"),
    ],
)
def test_a_scenario_is_skipped_without_what_it_needs(
    stub: StubProvider, name: str, missing: str
) -> None:
    result = _run(stub, name, **{missing: False})
    assert result.outcome is Outcome.SKIP
    assert "LAB_SECOND" in result.reason
    assert result.passed


def test_a_provider_that_refuses_every_token_request_is_an_error_not_a_pass(
    start_stub: Callable[..., StubProvider],
) -> None:
    result = _run(start_stub("reject_everything"), "token_code_replay")
    assert result.outcome is Outcome.ERROR
    assert "could not sign in" in result.reason or "redeemed" in result.reason


def test_an_unreachable_provider_is_an_error(stub: StubProvider) -> None:
    settings = settings_for(stub)
    stub.stop()
    report = run_scenarios(settings, ["authorize_prompt_none_without_session"])
    assert report.results[0].outcome is Outcome.ERROR
    assert "discovery" in report.results[0].reason
    assert not report.ok


def test_a_wrong_password_is_an_error_that_says_so(stub: StubProvider) -> None:
    settings = settings_for(stub)
    wrong = replace(settings.citizen, password="not the password")
    report = run_scenarios(replace(settings, citizen=wrong), ["token_code_replay"])
    assert report.results[0].outcome is Outcome.ERROR
    assert "refused the citizen's citizen ID and password" in report.results[0].reason


def test_unknown_scenarios_are_refused(stub: StubProvider) -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        run_scenarios(settings_for(stub), ["no_such_scenario"])
