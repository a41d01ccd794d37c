"""One-time codes for the lab's citizens (RFC 6238: 30-second steps; the provider accepts one step
of drift and each step once, RFC 6238 §5.2).

The lab remembers the last step it used for each account, so a second sign-in within the same
30 seconds takes the next step's code instead of a spent one, and waits (a bounded time) when
both are spent. A code refused anyway (someone else used that step) moves on to the next step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pyotp

from relying_party_demo.lab.config import LabCitizen
from relying_party_demo.lab.errors import LabError

PERIOD = 30
DIGITS = 6
DRIFT_STEPS = 1


class OneTimeCodes:
    """The codes the lab types; one instance per process (the portal keeps one per app)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._last: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def code(self, issuer: str, citizen: LabCitizen, *, max_wait: float) -> str:
        """A code for a step this lab has not used yet for ``citizen`` at ``issuer``."""
        if not citizen.totp_secret:
            raise LabError(
                f"the provider asks the {citizen.label} for a one-time code, but no TOTP secret "
                "is configured for them"
            )
        key = (issuer, citizen.citizen_id)
        with self._lock:
            current = int(self._clock() // PERIOD)
            last = self._last.get(key)
            step = current if last is None else max(current, last + 1)
            if step > current + DRIFT_STEPS:
                # Both usable steps are spent: wait until the next one is within the drift.
                wait = (step - DRIFT_STEPS) * PERIOD - self._clock() + 0.5
                if wait > max_wait:
                    raise LabError(
                        f"the {citizen.label}'s one-time codes of this minute are used up; "
                        f"try again in {int(wait) + 1} s"
                    )
                self._sleep(max(wait, 0.0))
            self._last[key] = step
        totp = pyotp.TOTP(citizen.totp_secret, digits=DIGITS, interval=PERIOD)
        return str(totp.generate_otp(step))
