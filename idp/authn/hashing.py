"""A bounded queue in front of password hashing, per worker process, so that overload makes
sign-ins answer ``503 Service Unavailable`` at once instead of slower and slower.

An Argon2id hash or verification takes tens of milliseconds of one core and 19 MiB of memory
(``authn/password``). Under a flood of sign-ins, hashing without a bound would hold every
thread of a worker and let queues (and latency) grow without limit, for the cheap endpoints
(token, userinfo, JWKS) too. So at most ``concurrency`` hashes run at once in a process, at
most ``queue`` more requests wait for a turn, first come first served, each for at most
``timeout`` seconds; any other raises :class:`HashingBusy`, which the pages answer with 503 and
``Retry-After`` (RFC 9110 §15.6.4, §10.2.3). argon2-cffi releases the GIL while it hashes, so
with threaded workers (`idp serve`) the other threads keep serving.

Callers hold a slot around the hash alone, after the cheap refusals (a lock-out is refused
before any hashing) and before changing anything, so a refused attempt changes nothing::

    with hashing.slot():
        result = passwords.verify_password(stored, typed)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from flask import Flask, current_app
from flask.typing import ResponseReturnValue

from idp.pages import busy_page

EXTENSION = "idp.hashing"


class HashingBusy(Exception):  # noqa: N818 (a state, not a bug: "busy" is what it says)
    """No hashing slot is free and the queue is full, or the wait for a slot ran out."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("password hashing is saturated")
        self.retry_after = retry_after
        """Seconds after which trying again is reasonable (the ``Retry-After`` header)."""


class HashingGate:
    """At most ``concurrency`` holders of :meth:`slot` at once; at most ``queue`` waiting, in
    order of arrival, each at most ``timeout`` seconds."""

    def __init__(self, concurrency: int, queue: int, timeout: float) -> None:
        if concurrency < 1 or queue < 0 or timeout <= 0:
            raise ValueError("concurrency >= 1, queue >= 0 and timeout > 0 are required")
        self.concurrency = concurrency
        self.queue = queue
        self.timeout = timeout
        self._changed = threading.Condition()
        self._running = 0
        self._waiting: deque[object] = deque()

    @property
    def retry_after(self) -> int:
        """About as long as a turn may be waited for, in whole seconds."""
        return max(1, round(self.timeout))

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots for the duration of the block, or raise :class:`HashingBusy`."""
        self._acquire()
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def _acquire(self) -> None:
        with self._changed:
            if self._running < self.concurrency and not self._waiting:
                self._running += 1
                return
            if len(self._waiting) >= self.queue:
                raise HashingBusy(self.retry_after)
            turn = object()
            self._waiting.append(turn)
            deadline = time.monotonic() + self.timeout
            while self._waiting[0] is not turn or self._running >= self.concurrency:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._waiting.remove(turn)
                    # The one behind may now be first in line and find a free slot.
                    self._changed.notify_all()
                    raise HashingBusy(self.retry_after)
                self._changed.wait(remaining)
            self._waiting.popleft()
            self._running += 1
            # With several slots, the next in line may fit too.
            self._changed.notify_all()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = HashingGate(
        app.config["HASHING_CONCURRENCY"],
        app.config["HASHING_QUEUE"],
        app.config["HASHING_QUEUE_TIMEOUT"],
    )
    app.register_error_handler(HashingBusy, _busy)


def _busy(error: HashingBusy) -> ResponseReturnValue:
    return busy_page(error.retry_after)


def gate() -> HashingGate:
    """This process's gate for the current app."""
    found: HashingGate = current_app.extensions[EXTENSION]
    return found


def slot() -> AbstractContextManager[None]:
    """A slot of this process's gate (see the module's docstring)."""
    return gate().slot()
