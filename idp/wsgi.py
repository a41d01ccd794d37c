"""The WSGI entry point for gunicorn: refuses to start on a schema that is behind."""

from idp import create_app

app = create_app(check_schema=True)
