"""The audit ledger (DESIGN.md §1 audit): an append-only, hash-chained record of sign-ins,
consents, releases of claims and administrators' actions.

``events`` names what is recorded, ``ledger.record`` writes an entry, ``verify`` walks the
chain, ``export`` writes it out. It depends on nothing in the package but ``models``,
``extensions`` and ``clock``.
"""
