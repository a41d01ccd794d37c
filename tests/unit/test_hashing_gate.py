"""The bounded queue in front of password hashing (authn/hashing): at most K holders, at most Q
waiting in order of arrival, each for a bounded time; everyone else refused at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from idp.authn.hashing import HashingBusy, HashingGate

# How long the tests wait for other threads to reach a state; never a timing under test.
SETTLE = 10.0


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + SETTLE
    while not condition():
        assert time.monotonic() < deadline, "the other threads did not get there"
        time.sleep(0.005)


def take(gate: HashingGate) -> None:
    """Take a slot and give it back at once."""
    with gate.slot():
        pass


class Holder:
    """A thread that takes a slot of ``gate`` and keeps it until released."""

    def __init__(self, gate: HashingGate, name: str, log: list[str]) -> None:
        self.release = threading.Event()
        self.outcome: str | None = None
        self.name = name
        self._gate, self._log = gate, log
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._gate.slot():
                self._log.append(self.name)
                self.outcome = "held"
                self.release.wait(SETTLE)
        except HashingBusy:
            self.outcome = "busy"

    def finish(self) -> str | None:
        self.release.set()
        self._thread.join(SETTLE)
        return self.outcome


class Holders:
    """The holders started by a test, and the order in which they got their slots."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.started: list[Holder] = []

    def __call__(self, gate: HashingGate, name: str) -> Holder:
        self.started.append(Holder(gate, name, self.log))
        return self.started[-1]


@pytest.fixture
def holders() -> Iterator[Holders]:
    made = Holders()
    yield made
    for holder in made.started:
        holder.finish()


def test_up_to_the_concurrency_enter_at_once(
    holders: Holders,
) -> None:
    gate = HashingGate(concurrency=2, queue=0, timeout=60)
    holders(gate, "a")
    holders(gate, "b")
    until(lambda: gate.running == 2)
    with pytest.raises(HashingBusy):
        take(gate)


def test_beyond_the_queue_is_refused_at_once_with_retry_after(
    holders: Holders,
) -> None:
    gate = HashingGate(concurrency=1, queue=2, timeout=60)
    holders(gate, "running")
    until(lambda: gate.running == 1)
    holders(gate, "first waiting")
    holders(gate, "second waiting")
    until(lambda: gate.waiting == 2)
    started = time.monotonic()
    with pytest.raises(HashingBusy) as refused:
        take(gate)
    # Refused without waiting for the 60-second timeout.
    assert time.monotonic() - started < SETTLE
    assert refused.value.retry_after == 60
    assert (gate.waiting, gate.running) == (2, 1)


def test_waiters_take_their_turns_in_order_of_arrival(
    holders: Holders,
) -> None:
    gate = HashingGate(concurrency=1, queue=3, timeout=60)
    running = holders(gate, "a")
    until(lambda: gate.running == 1)
    queued = [holders(gate, "b")]
    until(lambda: gate.waiting == 1)
    queued.append(holders(gate, "c"))
    until(lambda: gate.waiting == 2)
    queued.append(holders(gate, "d"))
    until(lambda: gate.waiting == 3)
    running.finish()
    for holder in queued:
        until(lambda: holders.log[-1] == holder.name)  # noqa: B023 (called at once)
        holder.finish()
    assert holders.log == ["a", "b", "c", "d"]  # type: ignore[attr-defined]
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_wait_longer_than_the_timeout_is_refused_and_leaves_the_queue(
    holders: Holders,
) -> None:
    gate = HashingGate(concurrency=1, queue=1, timeout=0.05)
    holders(gate, "running")
    until(lambda: gate.running == 1)
    with pytest.raises(HashingBusy) as refused:
        take(gate)
    assert refused.value.retry_after == 1  # at least one second
    assert gate.waiting == 0


def test_a_slot_is_given_back_when_the_hash_fails() -> None:
    gate = HashingGate(concurrency=1, queue=0, timeout=1)
    with pytest.raises(ValueError, match="hash failed"), gate.slot():
        raise ValueError("hash failed")
    with gate.slot():
        assert gate.running == 1
    assert gate.running == 0


def test_a_timed_out_waiter_lets_the_next_one_in(
    holders: Holders,
) -> None:
    """The first in line gives up; the second, behind it, gets the slot when it frees."""
    gate = HashingGate(concurrency=1, queue=2, timeout=0.3)
    running = holders(gate, "running")
    until(lambda: gate.running == 1)
    first = holders(gate, "first")
    until(lambda: first.outcome == "busy")
    second = holders(gate, "second")
    until(lambda: gate.waiting == 1)
    running.finish()
    until(lambda: second.outcome == "held")
    assert holders.log == ["running", "second"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("concurrency", "queue", "timeout"), [(0, 1, 1.0), (1, -1, 1.0), (1, 1, 0.0)]
)
def test_nonsense_bounds_are_refused(concurrency: int, queue: int, timeout: float) -> None:
    with pytest.raises(ValueError, match="required"):
        HashingGate(concurrency, queue, timeout)
