"""The one clock of the provider: every expiry, TOTP window and timestamp reads it.

Tests move time with :func:`frozen`; nothing else calls ``datetime.now``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _source()


@contextmanager
def frozen(at: datetime) -> Iterator[Callable[[float], None]]:
    """Stop the clock at ``at``; the yielded function moves it forward by seconds."""
    global _source
    previous = _source
    current = [at.astimezone(UTC)]

    def advance(seconds: float) -> None:
        from datetime import timedelta

        current[0] += timedelta(seconds=seconds)

    _source = lambda: current[0]  # noqa: E731
    try:
        yield advance
    finally:
        _source = previous
