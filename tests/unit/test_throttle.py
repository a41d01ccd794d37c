"""Throttling as plain function calls: lock-outs per citizen-ID number and factor, failures per
client address, all on the provider's clock (NIST SP 800-63B §5.2.2)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from idp import clock, create_app
from idp.authn import throttle
from idp.authn.throttle import Factor
from idp.config import ConfigurationError
from tests.conftest import environ_for

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NUMBER = "087084000999"
ADDRESS = "203.0.113.7"

Advance = Callable[[float], None]


@pytest.fixture(scope="module")
def throttle_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The provider with its default settings; no database is touched."""
    instance = tmp_path_factory.mktemp("throttle")
    return create_app(environ_for(f"sqlite:///{instance / 'unused.sqlite3'}", instance))


@pytest.fixture
def advance(throttle_app: Flask) -> Iterator[Advance]:
    with throttle_app.app_context(), clock.frozen(START) as move:
        yield move
        throttle.reset()


def fail(times: int, key: str | None = None, factor: Factor = Factor.PASSWORD) -> list[Any]:
    key = key or throttle.key_for_citizen_id(NUMBER)
    return [throttle.failed(factor, key, address=ADDRESS) for _ in range(times)]


def locked_for(key: str | None = None, factor: Factor = Factor.PASSWORD) -> float | None:
    lockout = throttle.check(factor, key or throttle.key_for_citizen_id(NUMBER))
    return None if lockout is None else (lockout.until - clock.now()).total_seconds()


@pytest.mark.spec("NIST-800-63B-5.2.2")
def test_the_fifth_failure_starts_a_lock_out_of_one_minute(advance: Advance) -> None:
    results = fail(5)
    assert results[:4] == [None] * 4
    assert results[4] is not None
    assert results[4].until == START + timedelta(seconds=60)
    assert locked_for() == 60


def test_four_failures_lock_nothing(advance: Advance) -> None:
    fail(4)
    assert locked_for() is None


def test_the_lock_out_ends_when_the_providers_clock_says(advance: Advance) -> None:
    """The storage expires keys by real time; the lock-out must follow ``idp.clock`` instead."""
    fail(5)
    advance(59)
    assert locked_for() == 1
    advance(1)
    assert locked_for() is None


@pytest.mark.spec("NIST-800-63B-5.2.2")
def test_each_lock_out_lasts_twice_the_one_before_up_to_an_hour(advance: Advance) -> None:
    delays = []
    for _ in range(8):
        lockout = fail(5)[-1]
        delays.append((lockout.until - clock.now()).total_seconds())
        advance(delays[-1])
        assert locked_for() is None  # never permanent
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_after_a_lock_out_the_failures_count_afresh(advance: Advance) -> None:
    fail(5)
    advance(60)
    assert fail(4) == [None] * 4
    assert locked_for() is None


def test_lock_outs_are_forgotten_after_the_memory_period(advance: Advance) -> None:
    for _ in range(3):
        lockout = fail(5)[-1]
        advance((lockout.until - clock.now()).total_seconds())
    advance(2 * 86400)
    assert locked_for() is None
    fail(5)
    assert locked_for() == 60


def test_earlier_lock_outs_fade_over_the_memory_period(advance: Advance) -> None:
    """Two lock-outs at the end of one memory slot still count just after the next begins."""
    advance(86400 - START.timestamp() % 86400 - 600)
    for _ in range(2):
        lockout = fail(5)[-1]
        advance((lockout.until - clock.now()).total_seconds())
    advance(600 - 180)  # 0 s into the next slot: the earlier lock-outs weigh in full
    fail(5)
    assert locked_for() == 240


def test_success_forgets_the_failures(advance: Advance) -> None:
    key = throttle.key_for_citizen_id(NUMBER)
    fail(4)
    throttle.succeeded(Factor.PASSWORD, key)
    assert fail(4) == [None] * 4
    assert locked_for() is None


def test_success_does_not_end_a_running_lock_out(advance: Advance) -> None:
    fail(5)
    throttle.succeeded(Factor.PASSWORD, throttle.key_for_citizen_id(NUMBER))
    assert locked_for() == 60


def test_failures_slide_out_of_the_window(advance: Advance) -> None:
    fail(4)
    advance(900)  # the four failures are exactly one window old: they still count
    assert fail(1)[0] is not None
    throttle.reset()
    fail(4)
    advance(901)
    assert fail(1) == [None]


def test_factors_and_numbers_are_throttled_apart(advance: Advance) -> None:
    fail(5)
    assert locked_for(factor=Factor.OTP) is None
    assert locked_for(throttle.key_for_citizen_id("001090012345")) is None


def test_the_key_is_the_number_typed_and_never_holds_it(advance: Advance) -> None:
    key = throttle.key_for_citizen_id(NUMBER)
    assert key == throttle.key_for_citizen_id(" 087 084 000 999 ")
    assert key != throttle.key_for_citizen_id("087084000998")
    assert NUMBER not in key
    fail(5)
    storage = throttle_storage()
    assert storage, "the failures were stored"
    assert not [k for k in storage if NUMBER in k or ADDRESS in k]


def test_the_key_depends_on_the_secret_key(throttle_app: Flask, tmp_path: Path) -> None:
    other = create_app(
        {
            **environ_for(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path),
            "IDP_SECRET_KEY": "another-secret-key-0123456789abcdef0123",
        }
    )
    with throttle_app.app_context():
        ours = throttle.key_for_citizen_id(NUMBER)
    with other.app_context():
        assert throttle.key_for_citizen_id(NUMBER) != ours


def throttle_storage() -> dict[str, int]:
    from flask import current_app

    state = current_app.extensions[throttle.EXTENSION]
    return dict(state.storage.storage)


def test_concurrent_failures_never_lock_for_longer_than_the_maximum(advance: Advance) -> None:
    key = throttle.key_for_citizen_id(NUMBER)
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def attempt() -> None:
        with app.app_context():
            throttle.failed(Factor.PASSWORD, key, address=ADDRESS)

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    remaining = locked_for()
    assert remaining is not None
    assert 60 <= remaining <= 3600


@pytest.mark.spec("NIST-800-63B-5.2.2")
def test_an_address_is_refused_after_its_limit_of_failures_across_citizens(
    advance: Advance, throttle_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(throttle_app.config, "ADDRESS_FAILURE_LIMIT", 3)
    for number in ("001090012345", "001090012346"):
        fail(1, throttle.key_for_citizen_id(number))
    assert throttle.check_address(ADDRESS) is None
    fail(1, throttle.key_for_citizen_id("001090012347"))
    lockout = throttle.check_address(ADDRESS)
    assert lockout is not None
    # Three failures in this slot: refused until it is the previous slot and weighs under 3.
    assert lockout.until == START + timedelta(seconds=601)
    assert throttle.check_address("203.0.113.8") is None
    advance((lockout.until - clock.now()).total_seconds() - 1)
    assert throttle.check_address(ADDRESS) is not None
    advance(1)
    assert throttle.check_address(ADDRESS) is None


def test_the_address_is_free_again_as_its_failures_fade(
    advance: Advance, throttle_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(throttle_app.config, "ADDRESS_FAILURE_LIMIT", 10)
    advance(300)
    fail(10, throttle.key_for_citizen_id("001090012345"), factor=Factor.OTP)
    advance(600)  # the ten failures are in the previous slot, weighing 10 · (1 - 300/600)
    assert throttle.check_address(ADDRESS) is None
    fail(6, throttle.key_for_citizen_id("001090012346"))
    lockout = throttle.check_address(ADDRESS)
    assert lockout is not None
    # 6 + 10 · (1 - x/600) < 10 once x > 360 s into the slot.
    assert lockout.until == START + timedelta(seconds=600 + 361)


@pytest.mark.parametrize(
    ("first", "second", "together"),
    [
        ("2001:db8::1", "2001:db8::ffff", True),
        ("2001:db8::1", "2001:db8:0:1::1", False),
        ("::ffff:203.0.113.7", "203.0.113.7", True),
        ("203.0.113.7", "203.0.113.8", False),
    ],
)
def test_an_ipv6_address_means_its_slash_64(
    advance: Advance,
    throttle_app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    first: str,
    second: str,
    together: bool,
) -> None:
    monkeypatch.setitem(throttle_app.config, "ADDRESS_FAILURE_LIMIT", 1)
    throttle.failed(Factor.PASSWORD, throttle.key_for_citizen_id(NUMBER), address=first)
    assert (throttle.check_address(second) is not None) is together


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("IDP_RATELIMIT_STORAGE_URI", "nosuch://x", "IDP_RATELIMIT_STORAGE_URI"),
        ("IDP_RATELIMIT_STORAGE_URI", "async+memory://", "synchronous"),
        ("IDP_LOCKOUT_DELAY", "7200", "IDP_LOCKOUT_DELAY"),
        ("IDP_LOCKOUT_MEMORY", "600", "IDP_LOCKOUT_MAX_DELAY"),
        ("IDP_LOCKOUT_THRESHOLD", "0", "IDP_LOCKOUT_THRESHOLD"),
        ("IDP_TIMEZONE", "Asia/Saigon City", "IDP_TIMEZONE"),
    ],
)
def test_unsafe_throttle_settings_stop_the_provider(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    environ = {**environ_for(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path), variable: value}
    with pytest.raises(ConfigurationError, match=message):
        create_app(environ)
