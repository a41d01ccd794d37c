"""What a scenario works with.

A :class:`Run` is shared by the scenarios of one run: the provider's metadata, the browsers of
the lab's citizens (each signs in once per run: a one-time code is good once), every code and
token the run saw, and the masker. A :class:`Lab` is one scenario's view of it: it makes the
requests a scenario describes, records them for the report, and collects the checks.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from bs4 import BeautifulSoup
from requests.auth import HTTPBasicAuth

from relying_party_demo.lab.browser import Browser, Form, Landing, origin
from relying_party_demo.lab.config import LabCitizen, LabClient, LabSettings
from relying_party_demo.lab.errors import LabError, Skip
from relying_party_demo.lab.masking import Masker
from relying_party_demo.lab.one_time_codes import OneTimeCodes
from relying_party_demo.lab.protocol import (
    AuthRequest,
    Callback,
    TokenAnswer,
    s256,
    without_query,
)
from relying_party_demo.lab.results import Check, Exchange

#: The response headers a tester needs to judge an answer.
SHOWN_HEADERS = ("Location", "WWW-Authenticate", "Content-Type", "Cache-Control", "Pragma")
BODY_EXCERPT = 400
ATTACKER_ORIGIN = "http://attacker.invalid"  # RFC 2606: never resolves


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A lab citizen signed in at the provider in ``browser``, with the tokens of that sign-in
    (a code flow with the first client)."""

    citizen: LabCitizen
    browser: Browser
    tokens: TokenAnswer


@dataclass
class _Recorded:
    label: str
    method: str
    url: str
    sent: dict[str, str]
    response: requests.Response | None
    local_status: int | None = None
    local_body: str = ""


class Run:
    """The state shared by the scenarios of one run."""

    def __init__(self, settings: LabSettings, codes: OneTimeCodes) -> None:
        self.settings = settings
        self.codes = codes
        self.masker = Masker()
        for client in settings.clients:
            self.masker.secret(client.client_secret)
        for citizen in (settings.citizen, settings.second_citizen):
            if citizen is not None:
                self.masker.hide(citizen.password, citizen.totp_secret)
        self.backchannel = requests.Session()
        self.browsers: list[Browser] = []
        #: Every access, refresh and ID token a token endpoint issued in this run.
        self.tokens: set[str] = set()
        #: Every code the provider issued in this run, and the client it was asked for.
        self.codes_issued: dict[str, LabClient] = {}
        self._metadata: dict[str, Any] | None = None
        self._origins: frozenset[str] = frozenset({origin(settings.issuer)})
        self._signed_in: dict[str, SignedIn] = {}

    def close(self) -> None:
        self.backchannel.close()
        for browser in self.browsers:
            browser.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def is_provider(self, url: str) -> bool:
        return origin(url) in self._origins

    @property
    def metadata(self) -> dict[str, Any]:
        """OpenID Connect Discovery 1.0 §4, fetched once and checked (§4.3: same issuer)."""
        if self._metadata is None:
            issuer = self.settings.issuer
            url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
            try:
                response = self.backchannel.get(url, timeout=self.settings.timeout)
                document = response.json()
            except (requests.RequestException, ValueError) as error:
                raise LabError(f"discovery at {issuer} failed: {type(error).__name__}") from None
            if response.status_code != 200 or not isinstance(document, dict):
                raise LabError(f"discovery at {issuer} answered HTTP {response.status_code}")
            if document.get("issuer") != issuer:
                raise LabError(f"discovery names the issuer {document.get('issuer')!r}")
            endpoints = [v for k, v in document.items() if k.endswith("_endpoint")]
            endpoints.append(document.get("jwks_uri"))
            self._origins = self._origins | {
                origin(url) for url in endpoints if isinstance(url, str) and url
            }
            self._metadata = document
        return self._metadata

    def new_browser(self, name: str) -> Browser:
        browser = Browser(name, self.settings.timeout, self.is_provider)
        self.browsers.append(browser)
        return browser

    def one_time_code(self, citizen: LabCitizen) -> str:
        return self.codes.code(self.settings.issuer, citizen, max_wait=self.settings.max_otp_wait)

    def remember_tokens(self, answer: TokenAnswer) -> None:
        for token in (answer.access_token, answer.refresh_token, answer.id_token):
            if token:
                self.tokens.add(token)
                self.masker.secret(token)

    def remember_callback(self, callback: Callback, client: LabClient) -> None:
        if callback.code:
            self.codes_issued[callback.code] = client
            self.masker.secret(callback.code)
        for name in ("access_token", "id_token", "refresh_token"):
            for params in (callback.params, callback.fragment):
                self.masker.secret(params.get(name))

    def signed_in(self, citizen: LabCitizen, lab: Lab) -> SignedIn:
        """The citizen's browser, signed in once per run through the first client (pages, code
        and tokens are setup, not part of any scenario's record)."""
        found = self._signed_in.get(citizen.citizen_id)
        if found is not None:
            return found
        browser = self.new_browser(citizen.label)
        request = lab.authorization(self.settings.client)
        landing = browser.get(request.url(lab.endpoint("authorization_endpoint")))
        landing = browser.walk(
            landing, citizen=citizen, consent=True, one_time_code=self.one_time_code
        )
        callback = lab.callback_of(landing, request.client)
        if callback is None or not callback.code:
            seen = callback.describe() if callback else landing.describe()
            raise LabError(f"the {citizen.label} could not sign in: {seen}")
        answer = lab.redeem(request, callback.code, label=None)
        if answer.status != 200 or not answer.access_token:
            raise LabError(f"the {citizen.label}'s code was not redeemed: {answer.describe()}")
        found = SignedIn(citizen, browser, answer)
        self._signed_in[citizen.citizen_id] = found
        lab.note(f"Setup: the {citizen.label} signed in at the provider.")
        return found


class Lab:
    """One scenario's access to the provider: its requests are recorded for the report."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.checks: list[Check] = []
        self.notes: list[str] = []
        self._recorded: list[_Recorded] = []

    # What is configured -------------------------------------------------------------------

    @property
    def settings(self) -> LabSettings:
        return self.run.settings

    @property
    def issuer(self) -> str:
        return self.run.settings.issuer

    @property
    def metadata(self) -> dict[str, Any]:
        return self.run.metadata

    @property
    def client(self) -> LabClient:
        return self.settings.client

    @property
    def second_client(self) -> LabClient:
        if self.settings.second_client is None:
            raise Skip("needs a second client (LAB_SECOND_CLIENT_ID and LAB_SECOND_CLIENT_SECRET)")
        return self.settings.second_client

    @property
    def citizen(self) -> LabCitizen:
        return self.settings.citizen

    @property
    def second_citizen(self) -> LabCitizen:
        if self.settings.second_citizen is None:
            raise Skip("needs a second citizen (LAB_SECOND_CITIZEN_ID and LAB_SECOND_PASSWORD)")
        return self.settings.second_citizen

    def endpoint(self, name: str) -> str:
        url = self.metadata.get(name)
        if not isinstance(url, str) or not url:
            raise Skip(f"the provider's discovery document has no {name}")
        return url

    # Building requests --------------------------------------------------------------------

    def authorization(
        self, client: LabClient, *, pkce: bool = True, **params: str | None
    ) -> AuthRequest:
        """A valid authorization request (code flow, S256 PKCE, state, nonce) for ``client``;
        ``params`` replace its parameters, ``None`` removes one."""
        verifier = secrets.token_urlsafe(48) if pkce else None
        base: dict[str, str | None] = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": client.scope,
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
        }
        if verifier is not None:
            base.update(code_challenge=s256(verifier), code_challenge_method="S256")
        base.update(params)
        return AuthRequest(client, {k: v for k, v in base.items() if v is not None}, verifier)

    def new_browser(self, name: str = "a browser with no session") -> Browser:
        return self.run.new_browser(name)

    def signed_in(self, citizen: LabCitizen | None = None) -> SignedIn:
        return self.run.signed_in(citizen or self.citizen, self)

    # Talking to the provider --------------------------------------------------------------

    def navigate(self, browser: Browser, url: str, label: str, *, consent: bool = False) -> Landing:
        """Open ``url`` in ``browser``; allow on a consent page when ``consent``. A sign-in
        page is not filled in: it is where the navigation stops."""
        with browser.recording(self._listener(label)):
            landing = browser.get(url)
            if consent:
                landing = browser.walk(
                    landing, citizen=None, consent=True, one_time_code=self.run.one_time_code
                )
        return landing

    def authorize(
        self, browser: Browser, request: AuthRequest, label: str, *, consent: bool = True
    ) -> tuple[Landing, Callback | None]:
        landing = self.navigate(
            browser, request.url(self.endpoint("authorization_endpoint")), label, consent=consent
        )
        return landing, self.callback_of(landing, request.client)

    def obtain_code(
        self, browser: Browser, request: AuthRequest, label: str
    ) -> tuple[Callback, str]:
        """A code for a valid request: a step that must work for the scenario to mean anything
        (LabError otherwise)."""
        landing, callback = self.authorize(browser, request, label)
        if callback is None or not callback.code:
            seen = callback.describe() if callback else landing.describe()
            raise LabError(f"a valid authorization request did not return a code: {seen}")
        if callback.target != without_query(request.redirect_uri):
            raise LabError("the code was not sent to the registered redirect_uri")
        return callback, callback.code

    def callback_of(self, landing: Landing, client: LabClient) -> Callback | None:
        location = landing.location
        if location is None:
            return None
        parts = urlsplit(location)
        callback = Callback(
            location,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            dict(parse_qsl(parts.fragment, keep_blank_values=True)),
        )
        self.run.remember_callback(callback, client)
        return callback

    def token(
        self,
        client: LabClient,
        form: dict[str, str],
        label: str | None,
    ) -> TokenAnswer:
        """POST to the token endpoint, authenticated as ``client`` (``client_secret_basic``)."""
        url = self.endpoint("token_endpoint")
        auth = HTTPBasicAuth(_form_encode(client.client_id), _form_encode(client.client_secret))
        response = self._backchannel("POST", url, data=form, auth=auth)
        try:
            body = response.json()
        except ValueError:
            body = None
        answer = TokenAnswer(response, body if isinstance(body, dict) else {})
        self.run.remember_tokens(answer)
        if label is not None:
            sent = {**form, "Authorization": "Basic …"}
            self._recorded.append(_Recorded(label, "POST", url, sent, response))
        return answer

    def redeem(
        self,
        request: AuthRequest,
        code: str,
        label: str | None,
        *,
        client: LabClient | None = None,
        code_verifier: str | None = "",
    ) -> TokenAnswer:
        """Exchange ``code`` (RFC 6749 §4.1.3) as ``client`` (the requester by default), with
        the request's ``code_verifier`` unless another is given (``None``: none at all)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
        }
        verifier = request.code_verifier if code_verifier == "" else code_verifier
        if verifier is not None:
            form["code_verifier"] = verifier
        return self.token(client or request.client, form, label)

    def refresh(self, client: LabClient, refresh_token: str, label: str) -> TokenAnswer:
        return self.token(
            client, {"grant_type": "refresh_token", "refresh_token": refresh_token}, label
        )

    def userinfo(self, access_token: str, label: str) -> requests.Response:
        url = self.endpoint("userinfo_endpoint")
        response = self._backchannel(
            "GET", url, headers={"Authorization": f"Bearer {access_token}"}
        )
        sent = {"Authorization": f"Bearer {access_token}"}
        self._recorded.append(_Recorded(label, "GET", url, sent, response))
        return response

    def _backchannel(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if not self.run.is_provider(url):
            raise LabError(f"the lab sends requests only to the provider, not to {origin(url)}")
        try:
            return self.run.backchannel.request(
                method, url, timeout=self.settings.timeout, allow_redirects=False, **kwargs
            )
        except requests.RequestException as error:
            raise LabError(f"{method} {origin(url)} failed: {type(error).__name__}") from None

    def submit(
        self,
        browser: Browser,
        form: Form,
        data: dict[str, str],
        label: str,
        *,
        omit: frozenset[str] = frozenset(),
        headers: dict[str, str] | None = None,
    ) -> Landing:
        """Post one of the provider's forms, recorded (no further page is walked)."""
        with browser.recording(self._listener(label)):
            return browser.submit(form, data, omit=omit, headers=headers)

    # Verdicts -----------------------------------------------------------------------------

    def expect_refusal(
        self, request: AuthRequest, landing: Landing, callback: Callback | None, error: str
    ) -> None:
        """The checks of an authorization error response (RFC 6749 §4.1.2.1, RFC 9207 §2): sent
        back to the registered redirect_uri with ``error``, the request's ``state`` and ``iss``,
        and no code."""
        registered = without_query(request.client.redirect_uri)
        if callback is None:
            self.check(
                False, "the error is sent back to the registered redirect_uri", landing.describe()
            )
            return
        self.check(not callback.code, "no code is issued", callback.describe())
        self.check(
            callback.target == registered,
            "the error is sent back to the registered redirect_uri",
            f"redirect to {self.run.masker.url(callback.target)}",
        )
        self.check(callback.error == error, f"error={error}", f"error={callback.error}")
        self.check(
            callback.params.get("state") == request.state,
            "state is returned unchanged (RFC 6749 §4.1.2.1)",
            "state matches"
            if callback.params.get("state") == request.state
            else f"state={callback.params.get('state')!r}",
        )
        self.check(
            callback.params.get("iss") == self.issuer,
            "iss names the issuer (RFC 9207 §2)",
            f"iss={callback.params.get('iss')!r}",
        )

    def check(self, passed: bool, expectation: str, observed: str) -> bool:
        """Record one expectation and what was observed; returns ``passed``."""
        self.checks.append(Check(bool(passed), expectation, self.run.masker.text(observed)))
        return bool(passed)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def record_local(self, label: str, what: str, sent: dict[str, str], outcome: str) -> None:
        """A step that is not an HTTP request of the lab's (the portal validating a token)."""
        self._recorded.append(_Recorded(label, "CALL", what, sent, None, local_body=outcome))

    def exchanges(self) -> tuple[Exchange, ...]:
        """The recorded requests, masked with every secret the run knows by now."""
        masker = self.run.masker
        shown = []
        for item in self._recorded:
            sent = {
                name: masker.header(name, value)
                if name[:1].isupper()
                else masker.value(name, value)
                for name, value in item.sent.items()
            }
            if item.response is None:
                shown.append(
                    Exchange(
                        item.label,
                        item.method,
                        item.url,
                        sent,
                        item.local_status,
                        {},
                        masker.text(item.local_body),
                    )
                )
                continue
            response = item.response
            headers = {
                name: masker.header(name, response.headers[name])
                for name in SHOWN_HEADERS
                if name in response.headers
            }
            shown.append(
                Exchange(
                    label=item.label,
                    method=item.method,
                    url=masker.url(item.url),
                    sent=sent,
                    status=response.status_code,
                    headers=headers,
                    body=excerpt(response, masker),
                )
            )
        return tuple(shown)

    def _listener(self, label: str) -> Any:
        count = 0

        def listen(
            method: str, url: str, data: dict[str, str], response: requests.Response
        ) -> None:
            nonlocal count
            count += 1
            step = label if count == 1 else f"{label} · step {count}"
            sent = data if method == "POST" else dict(parse_qsl(urlsplit(url).query))
            self._recorded.append(_Recorded(step, method, url, sent, response))

        return listen


def excerpt(response: requests.Response, masker: Masker) -> str:
    """The start of a response body as a tester reads it: JSON as JSON, a page as its text."""
    if response.is_redirect:
        return ""
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type:
        try:
            return _shorten(masker.json(response.json()))
        except ValueError:
            pass
    if "html" in content_type:
        text = BeautifulSoup(response.text, "html.parser").get_text(" ", strip=True)
        return _shorten(masker.text(" ".join(text.split())))
    return _shorten(masker.text(response.text))


def _shorten(text: str) -> str:
    return text if len(text) <= BODY_EXCERPT else f"{text[:BODY_EXCERPT]}…"


def _form_encode(value: str) -> str:
    """RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic encoding."""
    return urlencode({"": value})[1:]
