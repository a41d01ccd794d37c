"""The portal's one clock, so tests can move time instead of sleeping."""

from __future__ import annotations

import time


def now() -> int:
    """Seconds since the epoch (a NumericDate, RFC 7519 §2)."""
    return int(time.time())
