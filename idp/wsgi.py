"""The WSGI entry point for gunicorn: refuses to start on a schema that is behind."""

import logging

from idp import create_app

# Our own records (reference ids, refusal reasons; never secrets) go to stderr beside gunicorn's.
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app(check_schema=True)
