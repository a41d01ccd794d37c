"""The lab's attack scenarios, one module each, found by iterating this package.

A module has a docstring citing its rule, ``TITLE``, ``RULE`` (the citation), ``EXPECTED`` (what
a correct provider does) and ``run(lab)``, which makes its requests through the
:class:`~relying_party_demo.lab.context.Lab` and records checks with ``lab.check``. Raise
:class:`~relying_party_demo.lab.errors.LabError` when a control step fails (the outcome is ERROR,
not FAIL), and :class:`~relying_party_demo.lab.errors.Skip` when something is not configured.
"""
