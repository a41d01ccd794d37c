"""The authorization endpoint's own checks, in the order they run.

Authlib first validates what RFC 6749 and RFC 7636 define (response type, client, redirect
URI, then request objects, which we refuse, then scope, PKCE, nonce: ``server``). Then each
check below reads the request and either raises the error the portal gets back, or records what
the sign-in must do::

    CHECKS = repeated parameters ▸ response_mode ▸ prompt ▸ claims ▸
             acr ▸ max_age ▸ id_token_hint ▸ login_hint ▸ session

The whole validation order fits on this screen (as in node-oidc-provider's
``lib/actions/authorization``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import current_app

from idp import clock
from idp.consent.catalogue import ACR_ORDER, SCOPES, lowest_acr, releasable, satisfies
from idp.consent.service import has_consent
from idp.models import Account, BrowserSession, Client
from idp.oidc.hints import read_id_token_hint
from idp.oidc.subject import subject_for
from idp.population.citizen_id import is_well_formed

RESPONSE_MODES = ("query", "form_post")
PROMPTS = ("none", "login", "consent", "select_account")
#: RFC 6749 §4.1.2.1: an error_description holds only %x20-21 / %x23-5B / %x5D-7E.
NOT_IN_DESCRIPTIONS = re.compile(r"[^\x20\x21\x23-\x5B\x5D-\x7E]")
CLAIM_OWNER = {claim: scope.name for scope in SCOPES.values() for claim in scope.claims}


@dataclass(frozen=True, slots=True)
class Requirements:
    """What an authorization request demands of the sign-in, derived from its parameters alone
    so that every step (sign-in pages, resume) reads the same answer."""

    acr: str
    max_age: int | None
    prompts: frozenset[str]
    id_token_claims: tuple[str, ...]
    hinted_subject: str | None


def _claims_request(params: Mapping[str, str]) -> dict[str, Any]:
    """OIDC Core §5.5: a JSON object with optional ``userinfo`` and ``id_token`` members."""
    raw = params.get("claims")
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise InvalidRequestError("The 'claims' parameter is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise InvalidRequestError("The 'claims' parameter must be a JSON object.")
    for member in ("userinfo", "id_token"):
        requested = parsed.get(member, {})
        if not isinstance(requested, dict) or not all(
            value is None or isinstance(value, dict) for value in requested.values()
        ):
            raise InvalidRequestError(
                f"'claims.{member}' must map claim names to null or an object."
            )
    return parsed


def _essential_acr(claims_request: Mapping[str, Any]) -> str | None:
    """The lowest level an essential ``acr`` claim request accepts (OIDC Core §5.5.1.1)."""
    acr = claims_request.get("id_token", {}).get("acr") or {}
    if not acr.get("essential"):
        return None
    values = acr.get("values") or ([acr["value"]] if "value" in acr else [])
    known = [v for v in values if v in ACR_ORDER]
    return min(known, key=ACR_ORDER.index) if known else None


def requirements(params: Mapping[str, str]) -> Requirements:
    """The requirements of a request whose parameters passed the checks."""
    claims_request = _claims_request(params)
    scopes = params.get("scope", "").split()
    levels = [lowest_acr(scopes)]
    # acr_values (OIDC Core §3.1.2.1) are in order of preference; we meet the least of them.
    asked = [v for v in params.get("acr_values", "").split() if v in ACR_ORDER]
    if asked:
        levels.append(min(asked, key=ACR_ORDER.index))
    if essential := _essential_acr(claims_request):
        levels.append(essential)
    max_age = params.get("max_age")
    hint = params.get("id_token_hint")
    return Requirements(
        acr=max(levels, key=ACR_ORDER.index),
        max_age=int(max_age) if max_age is not None else None,
        prompts=frozenset(params.get("prompt", "").split()),
        id_token_claims=tuple(
            name for name in claims_request.get("id_token", {}) if name in CLAIM_OWNER
        ),
        hinted_subject=(
            read_id_token_hint(hint, issuer=current_app.config["ISSUER"])["sub"] if hint else None
        ),
    )


@dataclass
class Authorization:
    """An authorization request on its way through the checks."""

    params: dict[str, str]
    repeated: list[str]
    client: Client
    redirect_uri: str
    session: BrowserSession | None
    account: Account | None
    needs_login: bool = False
    step_up: bool = False  # signed in, but below the level asked: only the missing factor
    login_hint: str | None = None
    requirements: Requirements | None = field(default=None)

    def refuse(self, error: OAuth2Error) -> OAuth2Error:
        """Send ``error`` back to the portal: the client and redirect URI are verified."""
        error.redirect_uri = self.redirect_uri
        return error

    @property
    def scopes(self) -> list[str]:
        return self.params.get("scope", "").split()


def quoted(values: list[str], separator: str = " ") -> str:
    """Values of the request named in an error_description, any character RFC 6749 §4.1.2.1
    does not allow there shown as ``?`` (Authlib refuses to build an error that has one)."""
    return NOT_IN_DESCRIPTIONS.sub("?", separator.join(values))


def check_repeated_parameters(request: Authorization) -> None:
    # OIDC Core §3.1.2.1 / RFC 6749 §3.1: parameters must not be included more than once.
    if request.repeated:
        raise request.refuse(
            InvalidRequestError(f"Parameter(s) repeated: {quoted(sorted(request.repeated), ', ')}.")
        )


def check_response_mode(request: Authorization) -> None:
    mode = request.params.get("response_mode", "query")
    if mode not in RESPONSE_MODES:
        raise request.refuse(
            InvalidRequestError(f"'response_mode' must be one of {', '.join(RESPONSE_MODES)}.")
        )


def check_prompt(request: Authorization) -> None:
    prompts = request.params.get("prompt", "").split()
    unknown = [p for p in prompts if p not in PROMPTS]
    if unknown:
        raise request.refuse(InvalidRequestError(f"Unknown 'prompt' value(s): {quoted(unknown)}."))
    # OIDC Core §3.1.2.1: none together with any other value is an error.
    if "none" in prompts and len(prompts) > 1:
        raise request.refuse(InvalidRequestError("'prompt=none' cannot be combined."))
    if "login" in prompts:
        request.needs_login = True


def check_claims(request: Authorization) -> None:
    """A claim asked for by name brings in the scope that releases it, when the portal is
    registered for that scope; the consent page then shows it like any scope."""
    try:
        claims_request = _claims_request(request.params)
    except OAuth2Error as error:
        raise request.refuse(error) from None
    registered = request.client.scope.split()
    implied = {
        CLAIM_OWNER[name]
        for member in ("userinfo", "id_token")
        for name in claims_request.get(member, {})
        if name in CLAIM_OWNER and CLAIM_OWNER[name] in registered
    }
    if implied - set(request.scopes):
        request.params["scope"] = " ".join(
            [*request.scopes, *sorted(implied - set(request.scopes))]
        )


def check_acr(request: Authorization) -> None:
    if request.params.get("max_age") is not None:
        raw = request.params["max_age"]
        if not raw.isdigit():
            raise request.refuse(
                InvalidRequestError("'max_age' must be a whole number of seconds.")
            )
    try:
        request.requirements = requirements(request.params)
    except OAuth2Error as error:
        raise request.refuse(error) from None
    if request.session and not satisfies(request.session.acr, request.requirements.acr):
        request.step_up = True


def check_max_age(request: Authorization) -> None:
    assert request.requirements is not None
    max_age = request.requirements.max_age
    # OIDC Core §3.1.2.1: re-authenticate when the sign-in is older than max_age (0: always).
    elapsed = clock.now() - request.session.auth_time if request.session else None
    if elapsed is not None and max_age is not None and elapsed >= timedelta(seconds=max_age):
        request.needs_login = True


def check_id_token_hint(request: Authorization) -> None:
    assert request.requirements is not None
    hinted = request.requirements.hinted_subject
    if hinted is None or request.account is None:
        return
    current = subject_for(request.account, request.client, salt=current_app.config["SUBJECT_SALT"])
    if current != hinted:
        # Another citizen is signed in here: never answer for them (OIDC Core §3.1.2.1).
        request.needs_login = True


def check_login_hint(request: Authorization) -> None:
    hint = request.params.get("login_hint", "").strip()
    # Only a well-formed number pre-fills the form; it never selects or skips anything.
    request.login_hint = hint if is_well_formed(hint) else None


def check_session(request: Authorization) -> None:
    if request.session is None:
        request.needs_login = True
    assert request.requirements is not None
    if "none" not in request.requirements.prompts:
        return
    # OIDC Core §3.1.2.6: prompt=none answers at once, without showing any page.
    if request.needs_login or request.step_up or request.account is None:
        raise request.refuse(LoginRequiredError())
    wanted = releasable(request.scopes, request.client.scope.split())
    if not has_consent(request.account.id, request.client.client_id, wanted):
        raise request.refuse(ConsentRequiredError())


Check = Callable[[Authorization], None]
CHECKS: tuple[Check, ...] = (
    check_repeated_parameters,
    check_response_mode,
    check_prompt,
    check_claims,
    check_acr,
    check_max_age,
    check_id_token_hint,
    check_login_hint,
    check_session,
)


def run_checks(request: Authorization) -> Authorization:
    for check in CHECKS:
        check(request)
    return request
