"""The security lab: attack scenarios that a tester runs against the live provider, one click
each or all at once, at ``/lab`` (``/lab/report.json`` for automation) or from the command line
(``python -m relying_party_demo.lab --help``).

Each scenario is a module of :mod:`relying_party_demo.lab.scenarios`; the lab signs its citizens
in through the provider's pages with a scripted browser (:mod:`relying_party_demo.lab.browser`)
and reports, for each, what was sent, what came back (masked), the rule, and PASS or FAIL.
"""

from __future__ import annotations

from relying_party_demo.lab.views import init_app

__all__ = ["init_app"]
