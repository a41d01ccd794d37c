"""What a scenario run produces: its checks, the exchanges it made, an outcome, and the report of
a whole run, as plain frozen values that the page, ``report.json`` and the command line share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """PASS: every check held. FAIL: the provider (or the portal's validation) broke a rule.
    ERROR: the scenario could not be carried out (provider unreachable, the lab citizen cannot
    sign in, a control step failed). SKIP: something it needs is not configured."""

    PASS = "PASS"  # noqa: S105 (an outcome, not a password)
    FAIL = "FAIL"
    ERROR = "ERROR"
    SKIP = "SKIP"


@dataclass(frozen=True, slots=True)
class Check:
    """One thing a correct provider must do, and what this one did."""

    passed: bool
    expectation: str
    observed: str

    def as_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "expectation": self.expectation, "observed": self.observed}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the lab made and the answer, already masked for display."""

    label: str
    method: str
    url: str
    sent: dict[str, str]
    status: int | None
    headers: dict[str, str]
    body: str

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "method": self.method,
            "url": self.url,
            "sent": self.sent,
            "status": self.status,
            "headers": self.headers,
            "body": self.body,
        }


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    title: str
    rule: str
    expected: str
    outcome: Outcome
    reason: str
    checks: tuple[Check, ...]
    exchanges: tuple[Exchange, ...]
    notes: tuple[str, ...]
    duration_ms: int

    @property
    def passed(self) -> bool:
        return self.outcome in (Outcome.PASS, Outcome.SKIP)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "rule": self.rule,
            "expected": self.expected,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "checks": [check.as_json() for check in self.checks],
            "exchanges": [exchange.as_json() for exchange in self.exchanges],
            "notes": list(self.notes),
            "duration_ms": self.duration_ms,
        }


@dataclass(frozen=True, slots=True)
class Report:
    issuer: str
    started_at: datetime
    duration_ms: int
    results: tuple[Result, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """No scenario failed or errored (a skipped one does not count against the provider)."""
        return all(result.passed for result in self.results)

    def summary(self) -> dict[str, int]:
        counts = {outcome.value: 0 for outcome in Outcome}
        for result in self.results:
            counts[result.outcome.value] += 1
        return counts

    def as_json(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "started_at": self.started_at.isoformat(),
            "duration_ms": self.duration_ms,
            "ok": self.ok,
            "summary": self.summary(),
            "results": [result.as_json() for result in self.results],
        }
