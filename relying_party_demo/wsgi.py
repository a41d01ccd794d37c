"""The portal for a WSGI server: ``gunicorn relying_party_demo.wsgi:app``."""

from __future__ import annotations

from relying_party_demo import create_app

app = create_app()
