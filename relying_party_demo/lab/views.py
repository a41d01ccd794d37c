"""The lab's pages: ``/lab`` lists the scenarios and runs one or all of them (a POST with the
portal's CSRF token), ``/lab/report.json`` runs them for automation (all, or those named by
``?scenario=``) and answers the report as JSON."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from relying_party_demo import config as portal_config
from relying_party_demo.csrf import csrf_token, is_valid_csrf_token
from relying_party_demo.lab import config
from relying_party_demo.lab.one_time_codes import OneTimeCodes
from relying_party_demo.lab.results import Report, Result
from relying_party_demo.lab.runner import discover, run_scenarios, select

log = logging.getLogger(__name__)

EXTENSION_KEY = "relying_party_demo.lab"

blueprint = Blueprint(
    "lab",
    __name__,
    url_prefix="/lab",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@dataclass(frozen=True, slots=True)
class LabState:
    settings: config.LabSettings | None
    #: One per app, so that runs one after another never offer a spent one-time code.
    codes: OneTimeCodes


def init_app(app: Flask, environ: Mapping[str, str]) -> None:
    """Register the lab; it is off (its page says what to set) until ``LAB_CITIZEN_ID`` is set.

    Raises :class:`~relying_party_demo.config.ConfigurationError` for half-made ``LAB_*``."""
    settings = config.load(environ, portal_config.load(environ))
    app.extensions[EXTENSION_KEY] = LabState(settings, OneTimeCodes())
    app.register_blueprint(blueprint)


def _state() -> LabState:
    state: LabState = current_app.extensions[EXTENSION_KEY]
    return state


@blueprint.get("/")
def index() -> ResponseReturnValue:
    return _page(None)


@blueprint.post("/run")
@blueprint.post("/run/<name>")
def run(name: str | None = None) -> ResponseReturnValue:
    if not is_valid_csrf_token(request.form.get("csrf_token")):
        abort(400)
    settings = _state().settings
    if settings is None:
        return _page(None), 503
    try:
        names = [name] if name else None
        select(names)
    except ValueError:
        abort(404)
    report = run_scenarios(settings, names, codes=_state().codes)
    log.info("lab run: %s", report.summary())
    return _page(report)


@blueprint.get("/report.json")
def report_json() -> ResponseReturnValue:
    settings = _state().settings
    if settings is None:
        return jsonify(
            error="lab_not_configured",
            error_description=f"set {', '.join(config.REQUIRED_TO_ENABLE)} to enable the lab",
        ), 503
    names = request.args.getlist("scenario")
    try:
        select(names)
    except ValueError as error:
        return jsonify(error="unknown_scenario", error_description=str(error)), 400
    report = run_scenarios(settings, names, codes=_state().codes)
    response = jsonify(report.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(report: Report | None) -> str:
    settings = _state().settings
    results: dict[str, Result] = {r.name: r for r in report.results} if report else {}
    return render_template(
        "lab/index.html",
        scenarios=discover(),
        settings=settings,
        report=report,
        results=results,
        required=config.REQUIRED_TO_ENABLE,
        lab_csrf_token=csrf_token(),
    )
