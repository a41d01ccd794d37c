"""Finding the scenarios and running them.

A scenario is a module of :mod:`relying_party_demo.lab.scenarios` with a docstring that cites its
rule, ``TITLE``, ``RULE`` (the citation), ``EXPECTED`` (what a correct provider does) and
``run(lab)``. Adding one is adding a file: they are found by iterating the package, in the order
of their module names.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from types import ModuleType

from relying_party_demo.lab import scenarios as scenario_package
from relying_party_demo.lab.config import LabSettings
from relying_party_demo.lab.context import Lab, Run
from relying_party_demo.lab.errors import LabError, Skip
from relying_party_demo.lab.one_time_codes import OneTimeCodes
from relying_party_demo.lab.results import Outcome, Report, Result

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    rule: str
    expected: str
    doc: str
    run: Callable[[Lab], None]

    @classmethod
    def from_module(cls, module: ModuleType) -> Scenario:
        name = module.__name__.rsplit(".", 1)[-1]
        fields = {attr: getattr(module, attr, None) for attr in ("TITLE", "RULE", "EXPECTED")}
        missing = [attr for attr, value in fields.items() if not isinstance(value, str)]
        run = getattr(module, "run", None)
        if missing or not callable(run) or not (module.__doc__ or "").strip():
            raise TypeError(
                f"scenario module {name} needs a docstring, TITLE, RULE, EXPECTED and run(lab)"
            )
        return cls(
            name=name,
            title=str(fields["TITLE"]),
            rule=str(fields["RULE"]),
            expected=str(fields["EXPECTED"]),
            doc=str(module.__doc__).strip(),
            run=run,
        )


@cache
def discover() -> tuple[Scenario, ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(scenario_package.__path__), key=lambda m: m.name):
        if info.ispkg or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{scenario_package.__name__}.{info.name}")
        found.append(Scenario.from_module(module))
    return tuple(found)


def select(names: Sequence[str] | None) -> tuple[Scenario, ...]:
    """The scenarios named (all when ``names`` is empty or None); ValueError for an unknown one."""
    every = discover()
    if not names:
        return every
    by_name = {scenario.name: scenario for scenario in every}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(unknown)}")
    return tuple(by_name[name] for name in dict.fromkeys(names))


def run_scenarios(
    settings: LabSettings,
    names: Sequence[str] | None = None,
    *,
    codes: OneTimeCodes | None = None,
) -> Report:
    """Run the scenarios named (all by default) against the provider, one after another."""
    chosen = select(names)
    started_at = datetime.now(UTC)
    start = time.monotonic()
    with Run(settings, codes or OneTimeCodes()) as run:
        results = tuple(run_one(run, scenario) for scenario in chosen)
    return Report(
        issuer=settings.issuer,
        started_at=started_at,
        duration_ms=int((time.monotonic() - start) * 1000),
        results=results,
    )


def run_one(run: Run, scenario: Scenario) -> Result:
    lab = Lab(run)
    start = time.monotonic()
    try:
        scenario.run(lab)
    except Skip as skipped:
        outcome, reason = Outcome.SKIP, str(skipped)
    except LabError as error:
        outcome, reason = Outcome.ERROR, str(error)
    except Exception as error:  # a scenario's bug must not hide the other scenarios' results
        log.exception("scenario %s raised", scenario.name)
        outcome, reason = Outcome.ERROR, f"the scenario raised {type(error).__name__}: {error}"
    else:
        failed = [check for check in lab.checks if not check.passed]
        if not lab.checks:
            outcome, reason = Outcome.ERROR, "the scenario made no check"
        elif failed:
            outcome, reason = Outcome.FAIL, "; ".join(check.expectation for check in failed)
        else:
            outcome, reason = Outcome.PASS, ""
    return Result(
        name=scenario.name,
        title=scenario.title,
        rule=scenario.rule,
        expected=scenario.expected,
        outcome=outcome,
        reason=run.masker.text(reason),
        checks=tuple(lab.checks),
        exchanges=lab.exchanges(),
        notes=tuple(lab.notes),
        duration_ms=int((time.monotonic() - start) * 1000),
    )
