"""Throttling through the sign-in pages: lock-outs per citizen-ID number and factor, the limit per
client address, the same answers for numbers nobody has (NIST SP 800-63B §5.2.2)."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from idp import create_app
from idp.accounts import service as accounts
from idp.authn import throttle
from idp.extensions import db
from idp.models import AuditEntry
from tests.factories import PASSWORD
from tests.integration.conftest import Flow, english

REDIS_URL = os.environ.get("IDP_TEST_REDIS_URL")
NUMBER = "087084000999"  # the flow's citizen, who has an account
NOBODY = "001090012345"  # a valid number without an account
WRONG = "not the password at all"
LOCKED_OUT = "Too many attempts have failed"


def error_text(response: TestResponse) -> str:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    found = soup.select_one("#form-error") or soup.select_one("main p")
    assert found is not None, response.get_data(as_text=True)
    return found.get_text(" ", strip=True)


def attempts(flow: Flow, passwords: list[str], citizen_id: str = NUMBER) -> list[TestResponse]:
    started = flow.authorize()
    return [flow.sign_in(started, password=p, citizen_id=citizen_id) for p in passwords]


@pytest.fixture
def make_app(app: Flask, environ: dict[str, str]) -> Iterator[Callable[..., Flask]]:
    """Another provider on the same database, with other settings (``IDP_*`` values)."""
    made: list[Flask] = []

    def make(**settings: str) -> Flask:
        made.append(create_app({**environ, **{f"IDP_{k}": v for k, v in settings.items()}}))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            throttle.reset()
            db.engine.dispose()


@pytest.mark.spec("NIST-800-63B-5.2.2")
def test_the_sixth_attempt_is_refused_even_with_the_right_password(flow: Flow) -> None:
    responses = attempts(flow, [WRONG] * 5 + [PASSWORD])
    assert [r.status_code for r in responses] == [401] * 4 + [429, 429]
    for locked in responses[4:]:
        assert locked.headers["Retry-After"] == "60"
        assert LOCKED_OUT in error_text(locked)
        assert "Location" not in locked.headers


def test_the_lock_out_ends_and_the_right_password_then_works(flow: Flow) -> None:
    attempts(flow, [WRONG] * 5)
    flow.advance(59)
    assert attempts(flow, [PASSWORD])[0].status_code == 429
    flow.advance(1)
    assert attempts(flow, [PASSWORD])[0].status_code == 302


@pytest.mark.spec("NIST-800-63B-5.2.2")
def test_the_next_lock_out_is_longer(flow: Flow) -> None:
    attempts(flow, [WRONG] * 5)
    flow.advance(60)
    second = attempts(flow, [WRONG] * 5)
    assert [r.status_code for r in second] == [401] * 4 + [429]
    assert second[-1].headers["Retry-After"] == "120"


def test_the_page_says_when_in_the_citizens_language_and_time_zone(flow: Flow) -> None:
    flow.browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "vi"
    locked = attempts(flow, [WRONG] * 5)[-1]
    # 09:01 UTC is 16:01 in Hà Nội (IDP_TIMEZONE).
    assert "Vì lý do an toàn, bạn có thể thử lại lúc 16:01 (sau 1 phút nữa)" in error_text(locked)
    flow.browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    again = attempts(flow, [PASSWORD])[0]
    assert "you can try again at 4:01\u202fPM (in 1 minute)" in error_text(again)


def test_a_number_nobody_has_is_locked_out_alike(flow: Flow) -> None:
    """No enumeration: the same statuses, headers and messages, attempt by attempt."""
    known = attempts(flow, [WRONG] * 6)
    unknown = attempts(flow, [WRONG] * 6, citizen_id=NOBODY)
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert [r.headers.get("Retry-After") for r in known] == [
        r.headers.get("Retry-After") for r in unknown
    ]
    assert [error_text(r) for r in known] == [error_text(r) for r in unknown]


def test_a_lock_out_of_one_number_leaves_the_others_alone(flow: Flow) -> None:
    attempts(flow, [WRONG] * 5, citizen_id=NOBODY)
    assert attempts(flow, [PASSWORD])[0].status_code == 302


def test_a_successful_sign_in_forgets_the_failures(flow: Flow) -> None:
    attempts(flow, [WRONG] * 4 + [PASSWORD])
    flow.browser.delete_cookie("idp_session", domain="localhost")
    assert [r.status_code for r in attempts(flow, [WRONG] * 4)] == [401] * 4


@pytest.mark.spec("NIST-800-63B-5.2.2")
def test_wrong_one_time_codes_lock_the_code_not_the_password(flow: Flow) -> None:
    started = flow.authorize()
    at_code = flow.sign_in(started)
    responses = [flow.enter_code(at_code, code="000000") for _ in range(5)]
    assert [r.status_code for r in responses] == [401] * 4 + [429]
    assert responses[-1].headers["Retry-After"] == "60"
    assert flow.enter_code(at_code).status_code == 429  # the right code, refused
    flow.advance(60)
    assert flow.enter_code(at_code).status_code == 302


def test_an_unknown_number_costs_a_full_password_check(
    app: Flask, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Similar time for a wrong password and an unknown number; a lock-out refuses before any
    hashing, which shows the measurement tells a hash from none."""

    def median_seconds(citizen_id: str, runs: int = 7) -> float:
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            check = accounts.check_password(citizen_id, WRONG, address="203.0.113.7")
            timings.append(time.perf_counter() - started)
            assert check.account is None
        return statistics.median(timings)

    monkeypatch.setitem(app.config, "LOCKOUT_THRESHOLD", 1000)
    monkeypatch.setitem(app.config, "ADDRESS_FAILURE_LIMIT", 1000)
    with app.app_context():
        median_seconds(NUMBER, runs=1)  # warm up
        wrong_password = median_seconds(NUMBER)
        unknown_number = median_seconds(NOBODY)
        monkeypatch.setitem(app.config, "LOCKOUT_THRESHOLD", 1)
        locked_out = median_seconds("079185004321")
    assert 0.5 < unknown_number / wrong_password < 2, (unknown_number, wrong_password)
    assert locked_out < wrong_password / 5, (locked_out, wrong_password)


@pytest.mark.spec("NIST-800-63B-5.2.2")
def test_an_address_over_its_limit_gets_a_429_page_with_retry_after(
    app: Flask, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "ADDRESS_FAILURE_LIMIT", 3)
    for number in ("001090012345", "001090012346", "001090012347"):
        assert attempts(flow, [WRONG], citizen_id=number)[0].status_code == 401
    refused = attempts(flow, [PASSWORD])[0]  # the right password, from the same address
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "601"
    assert "Too many sign-ins have failed from your network" in refused.get_data(as_text=True)

    elsewhere = Flow(english(app), flow.portal, flow.totp_secret, flow.advance)
    elsewhere.browser.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert attempts(elsewhere, [PASSWORD])[0].status_code == 302

    flow.advance(601)
    assert attempts(flow, [PASSWORD])[0].status_code == 302


def test_the_429_page_speaks_vietnamese(
    app: Flask, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "ADDRESS_FAILURE_LIMIT", 1)
    flow.browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "vi"
    attempts(flow, [WRONG])
    refused = attempts(flow, [PASSWORD])[0]
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Quá nhiều lần đăng nhập không thành công" in page
    assert "Bạn có thể thử lại lúc 16:10 (sau 10 phút nữa)" in page


def test_the_address_limit_counts_failures_only(
    app: Flask, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many citizens behind one carrier-NAT address sign in; only failures count."""
    monkeypatch.setitem(app.config, "ADDRESS_FAILURE_LIMIT", 2)
    for _ in range(4):
        assert attempts(flow, [PASSWORD])[0].status_code == 302
        flow.browser.delete_cookie("idp_session", domain="localhost")
    assert attempts(flow, [WRONG])[0].status_code == 401
    assert attempts(flow, [PASSWORD])[0].status_code == 302


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(
    app: Flask, flow: Flow, make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "ADDRESS_FAILURE_LIMIT", 1)
    # Without a trusted proxy, a forged X-Forwarded-For changes nothing: one address failed.
    flow.browser.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.1"
    attempts(flow, [WRONG])
    flow.browser.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"
    assert attempts(flow, [PASSWORD])[0].status_code == 429

    proxied = make_app(TRUSTED_PROXIES="1", ADDRESS_FAILURE_LIMIT="1")
    behind = Flow(english(proxied), flow.portal, flow.totp_secret, flow.advance)
    behind.browser.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.1"
    attempts(behind, [WRONG])
    assert attempts(behind, [PASSWORD])[0].status_code == 429
    behind.browser.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"
    assert attempts(behind, [PASSWORD])[0].status_code == 302


@pytest.fixture
def shared_store(make_app: Callable[..., Flask], flow: Flow) -> tuple[Flow, Flow]:
    """Two providers (as two workers or hosts) sharing the Redis store of IDP_TEST_REDIS_URL."""
    if not REDIS_URL:
        pytest.skip("IDP_TEST_REDIS_URL is not set")
    first, second = (
        make_app(RATELIMIT_STORAGE_URI=REDIS_URL),
        make_app(RATELIMIT_STORAGE_URI=REDIS_URL),
    )
    with first.app_context():
        throttle.reset()
    return (
        Flow(english(first), flow.portal, flow.totp_secret, flow.advance),
        Flow(english(second), flow.portal, flow.totp_secret, flow.advance),
    )


def test_workers_sharing_redis_count_failures_together(shared_store: tuple[Flow, Flow]) -> None:
    first, second = shared_store
    assert [r.status_code for r in attempts(first, [WRONG] * 3)] == [401] * 3
    assert [r.status_code for r in attempts(second, [WRONG] * 2)] == [401, 429]
    locked = attempts(first, [PASSWORD])[0]
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "60"
    first.advance(60)  # the lock-out ends by the providers' clock, not Redis's
    assert attempts(second, [PASSWORD])[0].status_code == 302


def test_workers_sharing_redis_share_the_address_limit(
    shared_store: tuple[Flow, Flow], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = shared_store
    for flow in shared_store:
        app = flow.browser.application
        assert isinstance(app, Flask)
        monkeypatch.setitem(app.config, "ADDRESS_FAILURE_LIMIT", 2)
    attempts(first, [WRONG], citizen_id="001090012345")
    attempts(second, [WRONG], citizen_id="001090012346")
    assert attempts(first, [PASSWORD])[0].status_code == 429


BUSY = "Many people are signing in at this moment"


def test_a_password_beyond_the_hashing_queue_is_answered_503_and_changes_nothing(
    app: Flask, flow: Flow, hashing_busy: Callable[[], AbstractContextManager[None]]
) -> None:
    """Overload: refused at once with Retry-After (RFC 9110 §15.6.4), counting no failure and
    recording nothing, so the same transaction signs in once hashing is free again."""
    started = flow.authorize()
    with app.app_context():
        entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with hashing_busy():
        refused = [flow.sign_in(started, password=WRONG) for _ in range(6)]
    assert [r.status_code for r in refused] == [503] * 6
    assert {r.headers["Retry-After"] for r in refused} == {"3"}
    assert BUSY in refused[0].get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    # Six refused wrong passwords started no lock-out: the right one goes through.
    assert flow.sign_in(started).status_code == 302


def test_the_busy_page_speaks_vietnamese(
    flow: Flow, hashing_busy: Callable[[], AbstractContextManager[None]]
) -> None:
    flow.browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "vi"
    started = flow.authorize()
    with hashing_busy():
        refused = flow.sign_in(started)
    assert refused.status_code == 503
    assert "Nhiều người đang đăng nhập cùng lúc" in refused.get_data(as_text=True)
