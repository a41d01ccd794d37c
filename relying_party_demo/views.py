"""The portal's pages: home and its procedures, sign-in and its callback, the citizen's verified
data, the token inspector, sign-out (RP-initiated and back-channel) and the portal's JWKS."""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask import Response as FlaskResponse
from flask.typing import ResponseReturnValue
from joserfc.jwk import ECKey, RSAKey
from werkzeug.exceptions import HTTPException

from relying_party_demo import clock, display, jwks
from relying_party_demo.backchannel import LogoutTokenError, verify_logout_token
from relying_party_demo.csrf import csrf_token, is_valid_csrf_token
from relying_party_demo.inspection import (
    Expected,
    access_token_checks,
    decode_part,
    id_token_checks,
)
from relying_party_demo.messages import (
    APPLICATION_INCOMPLETE,
    CHECK_LABELS,
    PAGE_ERROR_HINT,
    PAGE_ERRORS,
    REFRESH_FAILED,
    SIGN_IN_FAILED,
    SIGN_OUT_FAILED,
    Message,
    error_message,
)
from relying_party_demo.procedures import PROCEDURES, Procedure
from relying_party_demo.sessions import ID_TOKEN_CLAIMS_KEY, ServerSession, session_store
from relying_party_demo.signin import (
    LOGOUT_STATE_KEY,
    SignedIn,
    SignInError,
    check_userinfo_subject,
    complete_sign_in,
    end_session_url,
    fetch_userinfo_again,
    load_metadata,
    portal_settings,
    provider,
    start_sign_in,
)

log = logging.getLogger(__name__)

blueprint = Blueprint("portal", __name__)

# The session (stored server-side; the cookie holds only its random id) keeps what was verified
# and, for the inspector and logout, the raw tokens of the latest sign-in.
VERIFIED_CLAIMS_KEY = ID_TOKEN_CLAIMS_KEY
USERINFO_KEY = "userinfo"
SIGN_IN_KEY = "sign_in"
APPLICATION_KEY = "application"

# The three facts a public service asks first, shown above the full tables.
SUMMARY_CLAIMS = ("name", "birthdate", "citizen_id")
ANSWER_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Citizen:
    """The signed-in citizen as the provider vouched for them."""

    id_token_claims: dict[str, Any]
    userinfo: dict[str, Any]
    sign_in: dict[str, Any]

    def claim(self, name: str) -> Any:
        """A claim from UserInfo, else from the ID token, else ``None``."""
        if name in self.userinfo:
            return self.userinfo[name]
        return self.id_token_claims.get(name)

    @property
    def claims(self) -> dict[str, Any]:
        return {**self.id_token_claims, **self.userinfo}

    @property
    def granted_scope(self) -> str:
        return str(self.sign_in.get("scope", ""))

    def serves(self, procedure: Procedure) -> bool:
        return procedure.is_covered_by(self.granted_scope, self.id_token_claims.get("acr"))


def signed_in_citizen() -> Citizen | None:
    claims = session.get(VERIFIED_CLAIMS_KEY)
    userinfo = session.get(USERINFO_KEY)
    sign_in = session.get(SIGN_IN_KEY)
    if not isinstance(claims, dict) or not isinstance(userinfo, dict):
        return None
    return Citizen(claims, userinfo, sign_in if isinstance(sign_in, dict) else {})


def _new_session() -> None:
    """Forget everything, and have the session saved under a new id (fixation defence)."""
    session.clear()
    if isinstance(session, ServerSession):
        session.regenerate()


# --- Home, sign-in, callback -------------------------------------------------------------------


@blueprint.get("/")
def home() -> ResponseReturnValue:
    return render_template("home.html", procedures=PROCEDURES.values())


@blueprint.get("/login")
def login() -> ResponseReturnValue:
    try:
        return start_sign_in()
    except SignInError as error:
        return _sign_in_error_page(error)


@blueprint.get("/callback")
def callback() -> ResponseReturnValue:
    try:
        result = complete_sign_in()
    except SignInError as error:
        return _sign_in_error_page(error)
    sign_in = _sign_in_record(result)
    _new_session()
    session[VERIFIED_CLAIMS_KEY] = result.id_token_claims
    session[USERINFO_KEY] = result.userinfo
    session[SIGN_IN_KEY] = sign_in
    if result.asked.procedure in PROCEDURES:
        return redirect(url_for("portal.procedure", slug=result.asked.procedure), 303)
    return redirect(url_for("portal.me"), 303)


def _sign_in_record(result: SignedIn) -> dict[str, Any]:
    """The raw tokens and what the inspector shows of them, checked as they arrived."""
    settings = portal_settings()
    client = provider()
    expected = Expected(
        issuer=settings.issuer,
        client_id=settings.client_id,
        nonce=result.asked.nonce,
        acr=result.asked.acr,
        userinfo_sub=result.userinfo.get("sub"),
        now=clock.now(),
    )
    try:
        keys = jwks.key_set(client)
        algorithms = jwks.algorithms(client.load_server_metadata())
        id_checks = id_token_checks(
            result.id_token,
            keys=keys,
            algorithms=algorithms,
            expected=expected,
            access_token=result.access_token,
        )
        access_checks = access_token_checks(
            result.access_token,
            keys=keys,
            algorithms=algorithms,
            expected=expected,
            id_token_sub=result.id_token_claims.get("sub"),
        )
        id_token_results = [check.as_dict() for check in id_checks]
        access_token_results = [check.as_dict() for check in access_checks]
    except jwks.KeysUnavailableError as error:
        failed = {"name": "signature", "passed": False, "detail": f"no keys ({error})"}
        id_token_results = access_token_results = [failed]
    return {
        "id_token": result.id_token,
        "access_token": result.access_token,
        "scope": result.granted_scope,
        "asked_scope": result.asked.scope,
        "asked_acr": result.asked.acr,
        "procedure": result.asked.procedure,
        "token_response": result.token_response,
        "received_at": expected.now,
        "id_token_checks": id_token_results,
        "access_token_checks": access_token_results,
    }


@blueprint.get("/me")
def me() -> ResponseReturnValue:
    citizen = signed_in_citizen()
    if citizen is None:
        return redirect(url_for("portal.home"))
    return render_template("me.html", summary_claims=SUMMARY_CLAIMS)


@blueprint.post("/me/refresh")
def refresh_me() -> ResponseReturnValue:
    """Ask the provider for the citizen's data again. When it refuses the access token, the
    citizen withdrew consent or ended the session there: the portal has lost access, so its own
    session ends too, and the page says why."""
    if not is_valid_csrf_token(request.form.get("csrf_token")):
        return _error_page(
            REFRESH_FAILED, error_message("invalid_csrf_token"), 400, code="invalid_csrf_token"
        )
    citizen = signed_in_citizen()
    access_token = citizen.sign_in.get("access_token") if citizen is not None else None
    if citizen is None or not isinstance(access_token, str):
        return redirect(url_for("portal.home"), 303)
    try:
        userinfo = fetch_userinfo_again(access_token)
        check_userinfo_subject(userinfo, citizen.id_token_claims)
    except SignInError as error:
        if error.code == "invalid_token":
            _new_session()
        return _error_page(REFRESH_FAILED, error_message(error.code), error.status, code=error.code)
    session[USERINFO_KEY] = userinfo
    return redirect(url_for("portal.me"), 303)


# --- Procedures --------------------------------------------------------------------------------


def _procedure(slug: str) -> Procedure:
    procedure = PROCEDURES.get(slug)
    if procedure is None:
        abort(404)
    return procedure


@blueprint.get("/procedures/<slug>")
def procedure(slug: str) -> ResponseReturnValue:
    chosen = _procedure(slug)
    citizen = signed_in_citizen()
    ready = citizen is not None and citizen.serves(chosen)
    return render_template("procedure.html", procedure=chosen, ready=ready, errors={})


@blueprint.get("/procedures/<slug>/start")
def start_procedure(slug: str) -> ResponseReturnValue:
    """Sign in, or step up, with exactly the procedure's scopes and assurance level."""
    chosen = _procedure(slug)
    citizen = signed_in_citizen()
    hint = citizen.sign_in.get("id_token") if citizen is not None else None
    try:
        return start_sign_in(
            scope=chosen.scope,
            acr=chosen.acr,
            procedure=chosen.slug,
            id_token_hint=hint if isinstance(hint, str) else None,
        )
    except SignInError as error:
        error.procedure = chosen.slug
        return _sign_in_error_page(error)


@blueprint.post("/procedures/<slug>/apply")
def apply(slug: str) -> ResponseReturnValue:
    chosen = _procedure(slug)
    if not is_valid_csrf_token(request.form.get("csrf_token")):
        return _error_page(
            APPLICATION_INCOMPLETE,
            error_message("invalid_csrf_token"),
            400,
            code="invalid_csrf_token",
        )
    citizen = signed_in_citizen()
    if citizen is None or not citizen.serves(chosen):
        return redirect(url_for("portal.procedure", slug=slug), 303)
    claims = citizen.claims
    answers: dict[str, str] = {}
    errors: dict[str, bool] = {}
    for form_field in chosen.fields:
        if form_field.verified:
            # Verified data is taken from the provider's claims, never from the form.
            answers[form_field.name] = form_field.value(claims) or ""
            continue
        value = request.form.get(form_field.name, "").strip()[:ANSWER_LIMIT]
        choices = form_field.choices(claims)
        if choices and value:
            labels = {option.value: option.label.vi for option in choices}
            if value not in labels:
                errors[form_field.name] = True
                continue
            value = labels[value]
        if form_field.required and not value:
            errors[form_field.name] = True
        answers[form_field.name] = value
    if errors:
        page = render_template("procedure.html", procedure=chosen, ready=True, errors=errors)
        return page, 400
    session[APPLICATION_KEY] = {
        "procedure": chosen.slug,
        "reference": f"HS-{secrets.token_hex(4).upper()}",
        "submitted_at": clock.now(),
        "answers": answers,
    }
    return redirect(url_for("portal.received", slug=slug), 303)


@blueprint.get("/procedures/<slug>/received")
def received(slug: str) -> ResponseReturnValue:
    chosen = _procedure(slug)
    application = session.get(APPLICATION_KEY)
    if not isinstance(application, dict) or application.get("procedure") != slug:
        return redirect(url_for("portal.procedure", slug=slug))
    return render_template("received.html", procedure=chosen, application=application)


# --- The token inspector -----------------------------------------------------------------------


@blueprint.get("/inspector")
def inspector() -> ResponseReturnValue:
    citizen = signed_in_citizen()
    if citizen is None or not citizen.sign_in.get("id_token"):
        return redirect(url_for("portal.home"))
    tokens = []
    for kind, title in (
        ("id_token", Message("Mã định danh (ID token)", "ID token")),
        ("access_token", Message("Mã truy cập (access token, RFC 9068)", "Access token")),
    ):
        raw = str(citizen.sign_in.get(kind, ""))
        tokens.append(
            {
                "kind": kind,
                "title": title,
                "raw": raw,
                "header": decode_part(raw, 0),
                "payload": decode_part(raw, 1),
                "checks": citizen.sign_in.get(f"{kind}_checks", []),
            }
        )
    return render_template(
        "inspector.html", tokens=tokens, check_labels=CHECK_LABELS, sign_in=citizen.sign_in
    )


# --- Signing out -------------------------------------------------------------------------------


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    """End the portal's session, then send the citizen to the provider's end-session endpoint
    (RP-Initiated Logout 1.0 §2) to end theirs there too."""
    if not is_valid_csrf_token(request.form.get("csrf_token")):
        return _error_page(
            SIGN_OUT_FAILED, error_message("invalid_csrf_token"), 400, code="invalid_csrf_token"
        )
    citizen = signed_in_citizen()
    id_token = citizen.sign_in.get("id_token") if citizen is not None else None
    _new_session()
    if not isinstance(id_token, str):
        return redirect(url_for("portal.home"), 303)
    state = secrets.token_urlsafe(24)
    target = end_session_url(id_token, state)
    if target is None:
        return redirect(url_for("portal.home"), 303)
    session[LOGOUT_STATE_KEY] = state
    return redirect(target, 303)


@blueprint.get("/logged-out")
def logged_out() -> ResponseReturnValue:
    """The post-logout redirect URI: the provider sends the citizen back with our state."""
    expected = session.pop(LOGOUT_STATE_KEY, None)
    state = request.args.get("state", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, state):
        return _error_page(
            SIGN_OUT_FAILED,
            error_message("invalid_logout_state"),
            400,
            code="invalid_logout_state",
        )
    return render_template("signed_out.html")


@blueprint.post("/backchannel-logout")
def backchannel_logout() -> ResponseReturnValue:
    """OpenID Connect Back-Channel Logout 1.0 §2.5-2.8: 200 when the token is good (whether or
    not a session matched), 400 with an OAuth error when it is not."""
    raw = request.form.get("logout_token", "")
    if not raw:
        return _logout_refused("logout_token is missing")
    settings = portal_settings()
    client = provider()
    try:
        load_metadata(client, settings)
        logout_request = verify_logout_token(
            raw,
            verify=lambda token: jwks.verify(token, client),
            issuer=settings.issuer,
            client_id=settings.client_id,
        )
    except LogoutTokenError as error:
        return _logout_refused(str(error))
    except (SignInError, jwks.KeysUnavailableError):
        # The provider retries later (a 5xx is not a refusal, §2.8).
        body = {"error": "temporarily_unavailable", "error_description": "keys unavailable"}
        return _no_store(jsonify(body), 503)
    store = session_store(current_app)
    if not store.record_jti(logout_request.jti, logout_request.exp):
        return _logout_refused("this logout token was received before (jti)")
    ended = store.end_sessions(sid=logout_request.sid, sub=logout_request.sub)
    log.info("back-channel logout ended %d session(s)", ended)
    return _no_store(current_app.response_class(status=200), 200)


def _logout_refused(description: str) -> ResponseReturnValue:
    log.info("back-channel logout refused: %s", description)
    body = {"error": "invalid_request", "error_description": description}
    return _no_store(jsonify(body), 400)


def _no_store(response: FlaskResponse, status: int) -> FlaskResponse:
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The portal's keys -------------------------------------------------------------------------


@blueprint.get("/jwks.json")
def portal_jwks() -> ResponseReturnValue:
    """The public half of the portal's ``private_key_jwt`` key, for the provider to fetch
    (registered as the portal's ``jwks_uri``)."""
    private_jwk = portal_settings().private_jwk
    if private_jwk is None:
        abort(404)
    key_type = ECKey if private_jwk["kty"] == "EC" else RSAKey
    public = key_type.import_key(dict(private_jwk)).as_dict(private=False)
    public.update(kid=private_jwk["kid"], alg=private_jwk["alg"], use="sig")
    response = jsonify({"keys": [public]})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- Error pages -------------------------------------------------------------------------------


def _sign_in_error_page(error: SignInError) -> ResponseReturnValue:
    return _error_page(
        SIGN_IN_FAILED,
        error_message(error.code),
        error.status,
        code=error.code,
        detail=error.detail,
        retry=PROCEDURES.get(error.procedure or ""),
    )


def _error_page(
    title: Message,
    message: Message,
    status: int,
    *,
    code: str | None = None,
    detail: str | None = None,
    retry: Procedure | None = None,
) -> ResponseReturnValue:
    """A page a person can read, with a reference id that the log carries too."""
    reference = secrets.token_hex(6)
    log.info("error page code=%s status=%s ref=%s detail=%r", code, status, reference, detail)
    page = render_template(
        "error.html",
        title=title,
        message=message,
        code=code,
        detail=detail,
        reference=reference,
        retry=retry,
    )
    return page, status


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.add_template_filter(display.format_birthdate, "birthdate")
    app.add_template_filter(display.format_claim_value, "claim_value")
    app.add_template_filter(display.format_json, "as_json")
    app.add_template_test(display.is_structured, "structured")
    app.add_template_global(display.claim_label)
    app.add_template_global(csrf_token)

    @app.context_processor
    def citizen_context() -> dict[str, Any]:
        return {"citizen": signed_in_citizen()}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        title = PAGE_ERRORS.get(status, PAGE_ERRORS[500])
        return _error_page(title, PAGE_ERROR_HINT, status, code=str(status))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> ResponseReturnValue:
        log.exception("unexpected error")
        title = PAGE_ERRORS[500]
        return _error_page(title, error_message("server_error"), 500, code="500")
