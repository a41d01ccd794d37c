"""Why a scenario ended without a verdict on the provider."""

from __future__ import annotations


class LabError(Exception):
    """The scenario could not be carried out (the provider is unreachable, the lab's citizen
    cannot sign in, a control step that must succeed did not): the outcome is ERROR, not FAIL.
    The message is shown to the tester and never holds a secret."""


class Skip(Exception):  # noqa: N818 (a signal, not a failure: the outcome is SKIP)
    """The scenario needs something that is not configured (a second client or citizen)."""
