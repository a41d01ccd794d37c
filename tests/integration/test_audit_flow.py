"""What a sign-in, its releases of claims and the administrators' commands leave in the ledger:
the right events, claim names and references, and never a claim value or a citizen-ID number."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from idp import clock
from idp.audit.events import Event
from idp.audit.ledger import citizen_digest, record
from idp.audit.verify import verify_ledger
from idp.authn.totp import code_at
from idp.cli import main
from idp.extensions import db
from idp.models import AuditEntry
from tests.factories import PASSWORD, make_citizen
from tests.integration.conftest import START, Flow, flow_with

CITIZEN_ID = "087084000999"
OTHER_CITIZEN_ID = "001090012345"


def ledger(app: Flask) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        db.session.expunge_all()
        return list(entries)


def details(entry: AuditEntry) -> dict[str, Any]:
    return dict(json.loads(entry.details))


def strings_in(value: Any) -> Iterator[str]:
    """Every text value inside a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def run(app: Flask, *args: str, stdin: str | None = None) -> tuple[int, str]:
    """Exit status and standard output (progress goes to standard error)."""
    result = app.test_cli_runner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout


def test_a_sign_in_and_its_releases_are_recorded_by_name_only(
    app: Flask, flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what production logs
    started = flow.authorize(scope="openid profile citizen_id health_insurance")
    assert flow.sign_in(started, password="not the password").status_code == 401
    response = flow.second_factor_if_asked(flow.sign_in(started))
    callback = flow.follow_to_portal(flow.consent(response))
    tokens = flow.redeem(callback["code"]).get_json()
    answer = flow.browser.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    userinfo = answer.get_json()
    assert userinfo["citizen_id"] == CITIZEN_ID

    entries = ledger(app)
    assert [e.event for e in entries] == [
        "citizen:signin:failure",
        "citizen:signin:success",
        "consent:grant:given",
        "claims:release:token",
        "claims:release:userinfo",
    ]
    with app.app_context():
        digest = citizen_digest(CITIZEN_ID)
        assert verify_ledger().intact
    assert {e.citizen_digest for e in entries} == {digest}
    assert {e.client_id for e in entries} == {flow.portal.client_id}
    failure, success, consent, by_token, by_userinfo = (details(e) for e in entries)
    assert failure["reason"] == "bad_password"
    assert failure["method"] == "password"
    assert failure["network"] == "127.0.0.0/24"
    assert (success["acr"], success["amr"]) == ("loa2", ["pwd", "otp", "mfa"])
    assert consent["scopes"] == ["openid", "profile", "citizen_id", "health_insurance"]
    # The ID token says who and how; the citizen's data goes through userinfo.
    assert by_token["claims"] == ["sub"]
    assert by_token["grant"] == "authorization_code"
    assert by_token["id_token"] == hashlib.sha256(tokens["id_token"].encode()).hexdigest()
    assert by_userinfo["claims"] == sorted(userinfo)
    assert "health_insurance" in by_userinfo["claims"]
    assert by_userinfo["access_token_jti"] == by_token["access_token_jti"]

    # Nothing the portal received, nothing the citizen typed, and no token is in the ledger
    # (every column, as exported) or in the logs.
    code, exported = run(app, "audit", "export")
    assert code == 0
    released = {value for value in strings_in(userinfo) if len(value) >= 4}
    secrets = {CITIZEN_ID, PASSWORD, tokens["access_token"], tokens["id_token"], callback["code"]}
    assert released - {userinfo["sub"]}, "the portal received data to look for"
    for haystack in (exported, caplog.text):
        for needle in released | secrets:
            assert needle not in haystack


def test_a_refresh_records_the_release_of_its_id_token(app: Flask) -> None:
    for flow in flow_with(app, scope="openid profile offline_access"):
        tokens = flow.redeem(flow.code(scope="openid profile offline_access")["code"]).get_json()
        refreshed = flow.refresh(tokens["refresh_token"]).get_json()
    released = [details(e) for e in ledger(app) if e.event == "claims:release:token"]
    assert [r["grant"] for r in released] == ["authorization_code", "refresh_token"]
    assert released[1]["claims"] == ["sub"]
    assert released[1]["id_token"] == hashlib.sha256(refreshed["id_token"].encode()).hexdigest()


def test_a_sign_in_with_an_odd_user_agent_is_recorded(app: Flask, flow: Flow) -> None:
    flow.browser.environ_base["HTTP_USER_AGENT"] = CITIZEN_ID
    flow.code()
    signed_in = [details(e) for e in ledger(app) if e.event == "citizen:signin:success"]
    assert [d["browser"] for d in signed_in] == [""]
    assert all(CITIZEN_ID not in str(details(e)) for e in ledger(app))


def test_a_step_up_is_recorded_as_such(app: Flask, flow: Flow) -> None:
    flow.code(scope="openid profile")  # a loa1 sign-in: password alone
    flow.advance(60)  # a new time step for the code
    # citizen_id needs loa2: the code page alone
    response = flow.authorize(scope="openid citizen_id", nonce="nonce-step-up-1234")
    assert response.headers["Location"].endswith("/otp")
    flow.follow_to_portal(flow.consent(flow.enter_code(response)))
    events = [e.event for e in ledger(app)]
    assert events.count("citizen:signin:success") == 1
    assert "citizen:stepup:success" in events


def test_refused_codes_and_unknown_numbers_are_recorded(app: Flask, flow: Flow) -> None:
    started = flow.authorize()
    flow.sign_in(started, citizen_id=OTHER_CITIZEN_ID)  # no account
    response = flow.sign_in(started)
    assert flow.totp_secret
    wrong = code_at(flow.totp_secret, clock.now() + timedelta(hours=1))
    assert flow.enter_code(response, wrong).status_code == 401
    failures = [details(e) | {"citizen": e.citizen_digest} for e in ledger(app)]
    with app.app_context():
        assert [(f["method"], f["reason"], f["citizen"]) for f in failures] == [
            ("password", "unknown_account", citizen_digest(OTHER_CITIZEN_ID)),
            ("otp", "bad_code", citizen_digest(CITIZEN_ID)),
        ]


def test_a_refused_consent_and_a_logout_are_recorded(app: Flask, flow: Flow) -> None:
    response = flow.second_factor_if_asked(flow.sign_in(flow.authorize()))
    flow.follow_to_portal(flow.consent(response, decision="deny"))
    signed_in = flow.authorize(nonce="nonce-second-1234")  # straight to the consent page
    tokens = flow.redeem(flow.follow_to_portal(flow.consent(signed_in))["code"]).get_json()
    flow.browser.get(f"/logout?id_token_hint={tokens['id_token']}")
    entries = ledger(app)
    assert "consent:grant:refused" in [e.event for e in entries]
    ended = entries[-1]
    assert ended.event == "citizen:session:ended"
    assert details(ended)["revoked_tokens"] == 1


def test_export_filters_by_citizen_and_time(app: Flask) -> None:
    with app.app_context(), clock.frozen(START) as advance:
        for number in (CITIZEN_ID, OTHER_CITIZEN_ID, CITIZEN_ID):
            record(Event.CONSENT_GIVEN, citizen_id=number, details={"scopes": ["openid"]})
            advance(3600)
        mine = citizen_digest(CITIZEN_ID)
    # Each export is itself recorded: a day later, so its entries fall outside the windows asked.
    with clock.frozen(START + timedelta(days=1)):
        code, output = run(app, "audit", "export", "--citizen", CITIZEN_ID)
        assert code == 0
        lines = [json.loads(line) for line in output.splitlines()]
        assert [(d["seq"], d["citizen"]) for d in lines] == [(1, mine), (3, mine)]

        since = (START + timedelta(minutes=30)).isoformat()
        until = (START + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")  # no offset: UTC
        code, output = run(app, "audit", "export", "--since", since, "--until", until)
        assert [json.loads(line)["seq"] for line in output.splitlines()] == [2]

        code, output = run(app, "audit", "export", "--citizen", "12345")
        assert code == 2
        code, output = run(app, "audit", "export", "--since", "yesterday")
        assert code == 2


def test_an_export_checks_without_the_database(app: Flask) -> None:
    """Each line, less its hash, hashes (RFC 8785 form) to its hash; each links to the last."""
    with app.app_context():
        for n in range(3):
            record(Event.CONSENT_GIVEN, client_id="portal", details={"n": n, "scopes": ["é"]})
    output = run(app, "audit", "export")[1]
    previous = "0" * 64
    for line in output.splitlines():
        document = json.loads(line)
        claimed = document.pop("hash")
        canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert hashlib.sha256(canonical.encode()).hexdigest() == claimed
        assert document["prev"] == previous
        previous = claimed


def test_verify_and_anchor_commands(app: Flask) -> None:
    code, output = run(app, "audit", "anchor")
    assert code == 1  # nothing to anchor yet
    with app.app_context():
        for n in range(4):
            record(Event.CONSENT_GIVEN, client_id="portal", details={"n": n})
    code, anchor = run(app, "audit", "anchor")
    assert code == 0
    assert anchor.startswith("4:")
    code, output = run(app, "audit", "verify", "--anchor", anchor.strip())
    assert code == 0, output
    assert "intact: 4 entries" in output

    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET client_id = 'someone' WHERE seq = 3"))
    code, output = run(app, "audit", "verify")
    assert code == 1
    assert "BROKEN at entry 3 (changed)" in output
    code, output = run(app, "audit", "verify", "--anchor", "4")
    assert code == 2


def test_administrators_commands_are_recorded(app: Flask) -> None:
    with app.app_context():
        make_citizen()
    assert run(app, "init")[0] == 0
    _, output = run(
        app,
        "clients",
        "create",
        "--name",
        "Cổng thử",
        "--redirect-uri",
        "https://portal.example.vn/cb",
        "--scope",
        "openid profile",
        "--purpose",
        "profile=Xác định người nộp hồ sơ",
        "--json",
    )
    client_id = json.loads(output)["client_id"]
    run(app, "keys", "rotate", "--alg", "EdDSA")
    run(app, "accounts", "create", CITIZEN_ID, "--password-stdin", stdin="a sandbox password\n")
    run(app, "population", "seed", "--count", "3", "--seed", "7")
    run(app, "cleanup")
    run(app, "audit", "export", "--citizen", CITIZEN_ID)

    entries = ledger(app)
    assert [e.event for e in entries] == [
        "admin:schema:upgraded",
        "admin:client:created",
        "admin:key:rotated",
        "admin:account:created",
        "admin:population:seeded",
        "admin:cleanup:run",
        "admin:ledger:exported",
    ]
    assert all(details(e)["operator"] for e in entries)
    assert entries[1].client_id == client_id
    assert details(entries[1])["scopes"] == ["openid", "profile"]
    assert details(entries[4])["count"] == 3
    with app.app_context():
        assert entries[3].citizen_digest == citizen_digest(CITIZEN_ID)
        assert entries[6].citizen_digest == citizen_digest(CITIZEN_ID)
