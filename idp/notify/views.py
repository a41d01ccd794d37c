"""``/dev/outbox``: the messages the development notifier kept, newest first. Registered only
when ``IDP_ENV=development`` (elsewhere the path is a 404)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from idp.notify.outbox import recent_messages

blueprint = Blueprint("outbox", __name__, url_prefix="/dev")


@blueprint.get("/outbox")
def outbox() -> ResponseReturnValue:
    return render_template("dev/outbox.html", messages=recent_messages())
