"""Throttling of guesses: growing lock-outs per citizen and factor, and a limit per client address
on failed sign-ins (NIST SP 800-63B §5.2.2; OWASP Authentication Cheat Sheet, account lockout).

Callers, in one line each::

    key = throttle.key_for_citizen_id(typed)
    if lockout := throttle.check(Factor.PASSWORD, key): ...      # refuse, before any hashing
    lockout = throttle.failed(Factor.PASSWORD, key, address=ip)  # may start a lock-out
    throttle.succeeded(Factor.PASSWORD, key)                     # forget the failures
    if lockout := throttle.check_address(ip): ...                # the address is over its limit

The counters live in a ``limits`` storage (``IDP_RATELIMIT_STORAGE_URI``: ``memory://`` in one
process, ``redis://…`` shared by workers and hosts). Only its atomic ``incr``, ``get`` and
``clear`` are used. Those storages expire keys by the host's real time, which tests cannot move,
so every time that matters is ours: keys are named after slots of :func:`idp.clock.now`, and
lock-out ends are stored as values. A storage expiry only collects keys that the clock has left
behind (it is always at least twice the time a key matters).

Keys name a factor and an HMAC of what was typed (never a citizen-ID number or an address), and
are the same whether or not an account exists, so lock-outs reveal nothing about accounts.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import sha256
from typing import Any

from flask import Flask, current_app
from limits.errors import ConfigurationError as StorageConfigurationError
from limits.storage import Storage, storage_from_string

from idp import clock
from idp.config import ConfigurationError

EXTENSION = "idp.throttle"


class Factor(StrEnum):
    """What was guessed; each has its own failure count and lock-outs, so a lock-out of one does
    not stop a citizen from signing in with another."""

    PASSWORD = "password"  # noqa: S105 (a factor's name)
    OTP = "otp"
    PASSKEY = "passkey"
    RECOVERY_CODE = "recovery_code"
    ACTIVATION_CODE = "activation_code"


@dataclass(frozen=True, slots=True)
class Lockout:
    """Attempts are refused until ``until`` (timezone-aware UTC)."""

    until: datetime


@dataclass(frozen=True, slots=True)
class Policy:
    threshold: int
    window: int
    delay: int
    max_delay: int
    memory: int
    address_limit: int
    address_window: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        return cls(
            threshold=config["LOCKOUT_THRESHOLD"],
            window=config["LOCKOUT_WINDOW"],
            delay=config["LOCKOUT_DELAY"],
            max_delay=config["LOCKOUT_MAX_DELAY"],
            memory=config["LOCKOUT_MEMORY"],
            address_limit=config["ADDRESS_FAILURE_LIMIT"],
            address_window=config["ADDRESS_FAILURE_WINDOW"],
        )

    def delay_of(self, level: int) -> int:
        """The ``level``-th lock-out lasts ``delay · 2^(level-1)`` seconds, at most ``max_delay``
        (NIST SP 800-63B §5.2.2: a wait that grows, "e.g., 30 seconds up to an hour")."""
        return min(self.delay << min(level - 1, 32), self.max_delay)


@dataclass(frozen=True, slots=True)
class _Throttle:
    storage: Storage
    digest_key: bytes


def init_app(app: Flask) -> None:
    uri = app.config["RATELIMIT_STORAGE_URI"]
    try:
        storage = storage_from_string(uri)
    except StorageConfigurationError as error:
        raise ConfigurationError(f"IDP_RATELIMIT_STORAGE_URI: {error}") from None
    if not isinstance(storage, Storage):
        raise ConfigurationError("IDP_RATELIMIT_STORAGE_URI must name a synchronous storage")
    digest_key = hmac.new(app.config["SECRET_KEY"].encode(), b"idp throttle keys", sha256)
    app.extensions[EXTENSION] = _Throttle(storage, digest_key.digest())


def _state() -> _Throttle:
    state: _Throttle = current_app.extensions[EXTENSION]
    return state


def _policy() -> Policy:
    return Policy.from_config(current_app.config)


def _digest(kind: str, value: str) -> str:
    return hmac.new(_state().digest_key, f"{kind}\0{value}".encode(), sha256).hexdigest()[:32]


def key_for_citizen_id(typed: str) -> str:
    """The throttle key of a citizen-ID number as typed (spaces ignored), whether or not anybody
    has it: an HMAC, so the store never holds the number."""
    return _digest("citizen", "".join(typed.split()))


# A sliding-window counter: fixed slots of the clock, the previous slot weighted by how much of
# it still lies inside the window that ends now (the approximation of limits' "sliding window
# counter" strategy; exact when the failures are spread evenly over the previous slot).


@dataclass(frozen=True, slots=True)
class _Window:
    name: str
    length: int
    now: float

    @property
    def slot(self) -> int:
        return int(self.now // self.length)

    def key(self, slot: int) -> str:
        return f"idp-throttle:{self.name}:{slot}"

    def weighted(self, previous: int, current: int) -> float:
        return current + previous * (1 - (self.now - self.slot * self.length) / self.length)

    def counts(self, storage: Storage) -> tuple[int, int]:
        """The counts of the previous slot and of the current one."""
        return storage.get(self.key(self.slot - 1)), storage.get(self.key(self.slot))

    def add(self, storage: Storage) -> tuple[int, int]:
        """Count one more; return the counts with it, as :meth:`counts` does."""
        current = storage.incr(self.key(self.slot), 2 * self.length)
        return storage.get(self.key(self.slot - 1)), current

    def clear(self, storage: Storage) -> None:
        storage.clear(self.key(self.slot - 1))
        storage.clear(self.key(self.slot))

    def below_at(self, previous: int, current: int, limit: int) -> int:
        """The first whole second at which the weighted count is below ``limit``, if nothing
        more is counted."""
        start = self.slot * self.length
        if current >= limit:  # only once the current slot has become the previous one
            reaches = start + self.length * (2 - limit / current)
        else:
            reaches = start + self.length * (1 - (limit - current) / previous)
        return math.floor(reaches) + 1


def _address_window(address: str, policy: Policy, now: float) -> _Window:
    """An IPv6 client usually holds a whole /64, so that is what one address means."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        group = address
    else:
        if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        if isinstance(parsed, ipaddress.IPv6Address):
            group = str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
        else:
            group = str(parsed)
    return _Window(f"address:{_digest('address', group)}", policy.address_window, now)


# The lock-outs of one factor and key are counted in slots of IDP_LOCKOUT_MEMORY; the n-th
# lock-out of slot s ends at the time stored under "…:s:end:n". Only the caller whose increment
# returned n writes that key, so concurrent failures cannot mix their values (a check between
# the increment and the write sees no lock-out yet: at worst one more attempt is verified), and
# the latest lock-out is always in this slot or the previous one, because none outlasts a slot
# (IDP_LOCKOUT_MAX_DELAY <= IDP_LOCKOUT_MEMORY).


def _lockouts(base: str, policy: Policy, now: float) -> _Window:
    return _Window(f"{base}:lockouts", policy.memory, now)


def _end_key(lockouts: _Window, slot: int, number: int) -> str:
    return f"{lockouts.key(slot)}:end:{number}"


def _failures(base: str, policy: Policy, now: float) -> _Window:
    return _Window(f"{base}:failures", policy.window, now)


def _start_lockout(storage: Storage, policy: Policy, base: str, now: float) -> Lockout:
    lockouts = _lockouts(base, policy, now)
    earlier, number = lockouts.add(storage)
    level = math.floor(lockouts.weighted(earlier, number))
    until = math.ceil(now + policy.delay_of(level))
    storage.incr(_end_key(lockouts, lockouts.slot, number), 2 * policy.memory, amount=until)
    # The failures that started it are spent: after it, the citizen has the full count again.
    _failures(base, policy, now).clear(storage)
    return Lockout(datetime.fromtimestamp(until, UTC))


def _base(factor: Factor, key: str) -> str:
    return f"{factor.value}:{key}"


def check(factor: Factor, key: str) -> Lockout | None:
    """The running lock-out of ``factor`` for ``key``, or None. Call it before verifying anything:
    during a lock-out even the right secret is refused, and costs nothing to check."""
    storage, now = _state().storage, clock.now().timestamp()
    lockouts = _lockouts(_base(factor, key), _policy(), now)
    earlier, number = lockouts.counts(storage)
    if number:
        until = storage.get(_end_key(lockouts, lockouts.slot, number))
    elif earlier:
        until = storage.get(_end_key(lockouts, lockouts.slot - 1, earlier))
    else:
        return None
    return Lockout(datetime.fromtimestamp(until, UTC)) if until > now else None


def failed(factor: Factor, key: str, *, address: str | None) -> Lockout | None:
    """Count a failed attempt for ``key`` and for the client ``address`` (None when there is no
    client address, as in a command); return the lock-out it started, if it started one."""
    storage, policy, now = _state().storage, _policy(), clock.now().timestamp()
    if address is not None:
        _address_window(address, policy, now).add(storage)
    base = _base(factor, key)
    failures = _failures(base, policy, now)
    if failures.weighted(*failures.add(storage)) < policy.threshold:
        return None
    return _start_lockout(storage, policy, base, now)


def succeeded(factor: Factor, key: str) -> None:
    """Forget the failures of ``factor`` for ``key`` (NIST SP 800-63B §5.2.2). A running
    lock-out and the memory of earlier ones stay."""
    _failures(_base(factor, key), _policy(), clock.now().timestamp()).clear(_state().storage)


def check_address(address: str | None) -> Lockout | None:
    """Whether the client ``address`` has failed too often across all citizens (credential
    stuffing); its sign-ins are refused until its count of failures falls below the limit. Check
    it before anything else."""
    if address is None:
        return None
    storage, policy, now = _state().storage, _policy(), clock.now().timestamp()
    window = _address_window(address, policy, now)
    previous, current = window.counts(storage)
    if window.weighted(previous, current) < policy.address_limit:
        return None
    # Refused attempts are not counted, so the count only falls from here.
    until = window.below_at(previous, current, policy.address_limit)
    return Lockout(datetime.fromtimestamp(until, UTC))


def reset() -> None:
    """Forget every counter of the storage (for tests)."""
    _state().storage.reset()
