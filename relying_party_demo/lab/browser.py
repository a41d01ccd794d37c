"""A scripted browser for the provider's pages: a ``requests.Session`` that keeps cookies, follows
redirects by hand and only within the provider, fills the sign-in, one-time-code and consent
forms by their documented field names (``citizen_id``, ``password``, ``otp``,
``button[name=decision][value=allow]``), and remembers every URL it was led to.

It never follows a redirect out of the provider: a redirect to a portal's ``redirect_uri`` (or
anywhere else) ends the navigation, and the lab reads the code or error from its ``Location``.
Every request has a timeout, and every loop a bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from bs4 import BeautifulSoup
from bs4.element import Tag

from relying_party_demo.lab.config import LabCitizen
from relying_party_demo.lab.errors import LabError

MAX_REDIRECTS = 10
MAX_PAGES = 8
MAX_OTP_ATTEMPTS = 3

CREDENTIAL_FIELDS = ("citizen_id", "password")
OTP_FIELD = "otp"
CONSENT_BUTTON = ("decision", "allow")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True, slots=True)
class Visit:
    """One response the browser received. ``by_lab`` is true when the lab wrote the URL, false
    when the provider led the browser there (a redirect, a form's action)."""

    method: str
    url: str
    by_lab: bool
    status: int
    location: str | None


@dataclass(frozen=True, slots=True)
class Landing:
    """Where a navigation stopped: a page of the provider, or a redirect leaving it."""

    hops: tuple[requests.Response, ...]

    @property
    def response(self) -> requests.Response:
        return self.hops[-1]

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def left_provider(self) -> bool:
        """The provider redirected out of itself (to a portal, or anywhere else)."""
        return self.response.is_redirect

    @property
    def location(self) -> str | None:
        if not self.left_provider:
            return None
        return urljoin(self.response.url, self.response.headers["Location"])

    @property
    def url(self) -> str:
        return self.response.url

    def describe(self) -> str:
        if self.location is not None:
            return f"HTTP {self.status} redirect out of the provider"
        return f"HTTP {self.status} page at the provider"


@dataclass(frozen=True, slots=True)
class Form:
    action: str
    preset: dict[str, str]  # sent as they are: hidden fields, ticked boxes
    inputs: frozenset[str]
    buttons: frozenset[tuple[str, str]]

    @property
    def asks_credentials(self) -> bool:
        return any(name in self.inputs for name in CREDENTIAL_FIELDS)

    @property
    def asks_otp(self) -> bool:
        return OTP_FIELD in self.inputs

    @property
    def asks_consent(self) -> bool:
        return CONSENT_BUTTON in self.buttons


def post_forms(response: requests.Response) -> list[Form]:
    """The page's POST forms, with the fields a browser sends as they are (hidden ones,
    ticked boxes), the other inputs and the submit buttons."""
    if "html" not in response.headers.get("Content-Type", ""):
        return []
    soup = BeautifulSoup(response.text, "html.parser")
    forms = []
    for form in soup.find_all("form"):
        if not isinstance(form, Tag) or str(form.get("method", "get")).lower() != "post":
            continue
        preset: dict[str, str] = {}
        inputs: set[str] = set()
        for element in form.find_all("input"):
            if not isinstance(element, Tag) or not element.get("name"):
                continue
            name = str(element["name"])
            kind = str(element.get("type", "text")).lower()
            # A browser sends hidden fields and ticked boxes as they are.
            if kind == "hidden" or (kind == "checkbox" and element.has_attr("checked")):
                preset[name] = str(element.get("value", "on"))
            else:
                inputs.add(name)
        buttons = {
            (str(button["name"]), str(button.get("value", "")))
            for button in form.find_all("button")
            if isinstance(button, Tag) and button.get("name")
        }
        action = urljoin(response.url, str(form.get("action") or response.url))
        forms.append(Form(action, preset, frozenset(inputs), frozenset(buttons)))
    return forms


Listener = Callable[[str, str, dict[str, str], requests.Response], None]


@dataclass
class Browser:
    """One browser: its cookies are its provider session. ``name`` says whose it is."""

    name: str
    timeout: float
    is_provider: Callable[[str], bool]
    session: requests.Session = field(default_factory=requests.Session)
    history: list[Visit] = field(default_factory=list)
    _listener: Listener | None = None

    def close(self) -> None:
        self.session.close()

    @contextmanager
    def recording(self, listener: Listener) -> Iterator[None]:
        """Tell ``listener`` about every request sent until the block ends."""
        previous, self._listener = self._listener, listener
        try:
            yield
        finally:
            self._listener = previous

    def get(self, url: str) -> Landing:
        """Open a URL the lab wrote, and follow the provider's redirects."""
        return self._follow(self._send("GET", url, by_lab=True))

    def post(
        self, url: str, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> Landing:
        """Submit a form of the provider's (its action URL is the provider's)."""
        return self._follow(self._send("POST", url, data=data, headers=headers, by_lab=False))

    def submit(
        self,
        form: Form,
        data: dict[str, str],
        *,
        omit: frozenset[str] = frozenset(),
        headers: dict[str, str] | None = None,
    ) -> Landing:
        """Post ``form`` with its preset fields (but those in ``omit``) and ``data``."""
        fields = {name: value for name, value in form.preset.items() if name not in omit}
        return self.post(form.action, {**fields, **data}, headers)

    def walk(
        self,
        landing: Landing,
        *,
        citizen: LabCitizen | None,
        consent: bool,
        one_time_code: Callable[[LabCitizen], str],
    ) -> Landing:
        """Go through the provider's pages as a person would: sign in as ``citizen`` (when
        given), type a one-time code, and allow on the consent page (when ``consent``). Stops at
        a redirect out of the provider, or at a page it is not told to handle."""
        credentials_sent = otp_sent = 0
        for _ in range(MAX_PAGES):
            if landing.left_provider:
                return landing
            forms = post_forms(landing.response)
            sign_in = next((f for f in forms if f.asks_credentials), None)
            otp = next((f for f in forms if f.asks_otp), None)
            allow = next((f for f in forms if f.asks_consent), None)
            if citizen is not None and sign_in is not None:
                if credentials_sent:
                    raise LabError(
                        f"the provider refused the {citizen.label}'s citizen ID and password "
                        f"(HTTP {landing.status})"
                    )
                credentials_sent += 1
                data = {"citizen_id": citizen.citizen_id, "password": citizen.password}
                if sign_in.asks_otp:
                    data[OTP_FIELD] = one_time_code(citizen)
                    otp_sent += 1
                landing = self.submit(sign_in, data)
            elif citizen is not None and otp is not None:
                if otp_sent >= MAX_OTP_ATTEMPTS:
                    raise LabError(
                        f"the provider refused {otp_sent} one-time codes of the {citizen.label}"
                    )
                otp_sent += 1
                landing = self.submit(otp, {OTP_FIELD: one_time_code(citizen)})
            elif consent and allow is not None:
                landing = self.submit(allow, dict([CONSENT_BUTTON]))
            else:
                return landing
        raise LabError(f"the provider showed more than {MAX_PAGES} pages in a row")

    def _send(
        self,
        method: str,
        url: str,
        *,
        by_lab: bool,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        if not self.is_provider(url):
            raise LabError(f"the lab sends requests only to the provider, not to {origin(url)}")
        try:
            response = self.session.request(
                method, url, data=data, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as error:
            raise LabError(f"{method} {origin(url)} failed: {type(error).__name__}") from None
        location = response.headers.get("Location")
        self.history.append(
            Visit(
                method,
                url,
                by_lab,
                response.status_code,
                urljoin(url, location) if location else None,
            )
        )
        if self._listener is not None:
            self._listener(method, url, dict(data or {}), response)
        return response

    def _follow(self, response: requests.Response) -> Landing:
        hops = [response]
        for _ in range(MAX_REDIRECTS):
            if not response.is_redirect:
                return Landing(tuple(hops))
            target = urljoin(response.url, response.headers["Location"])
            if not self.is_provider(target):
                return Landing(tuple(hops))
            response = self._send("GET", target, by_lab=False)
            hops.append(response)
        raise LabError(f"the provider redirected more than {MAX_REDIRECTS} times in a row")
