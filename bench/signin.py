"""Whole sign-ins by many virtual citizens at once, over HTTP as a browser and a portal would:
authorize → password → one-time code → (consent, remembered) → resume → code → token.

Each flow is a fresh browser: its own cookies (kept here, since the provider's cookies are
``Secure`` for its https issuer while the bench speaks plain HTTP to 127.0.0.1, as a TLS proxy
would), the CSRF token read from each form, a real TOTP code computed with pyotp. A one-time
code is accepted once per 30-second step within one step of drift, so each account signs in
twice in quick succession (this step's code and the next one's) and then once per step; the
driver picks an account whose next step is still accepted.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import html
import re
import secrets
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pyotp

from bench.citizen_idp import PASSWORD, REDIRECT_URI, SCOPE, Citizen, Portal

STEP = 30
_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
_CHECKED = re.compile(r'<input[^>]*type="checkbox"[^>]*checked[^>]*>')
_ATTR = re.compile(r'(name|value)="([^"]*)"')


class FlowError(RuntimeError):
    """A step answered something other than what a sign-in expects."""


@dataclass(slots=True)
class Account:
    citizen: Citizen
    last_step: int = -1

    def next_step(self, now: float) -> int | None:
        """The step of the next code the provider will accept, if one is accepted now and
        still when it is typed: never the previous step, which a slow page could outlast."""
        current = int(now // STEP)
        step = max(self.last_step + 1, current)
        return step if step <= current + 1 else None


@dataclass(slots=True)
class Accounts:
    waiting: collections.deque[Account]

    async def take(self, deadline: float) -> tuple[Account, int] | None:
        while time.monotonic() < deadline:
            for _ in range(len(self.waiting)):
                account = self.waiting.popleft()
                step = account.next_step(time.time())
                if step is not None:
                    return account, step
                self.waiting.append(account)
            await asyncio.sleep(0.05)
        return None

    def give_back(self, account: Account) -> None:
        self.waiting.append(account)


@dataclass(slots=True)
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    consent_pages: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def _form(page: str) -> dict[str, str]:
    fields = {}
    for tag in _HIDDEN.findall(page) + _CHECKED.findall(page):
        attrs = dict(_ATTR.findall(tag))
        if "name" in attrs:
            fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return fields


class Browser:
    """One citizen's browser for one flow: cookies and manual redirects."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base
        self.cookies: dict[str, str] = {}

    async def call(self, method: str, url: str, data: dict[str, str] | None = None) -> tuple:
        if url.startswith("/"):
            url = self.base + url
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        async with self.http.request(
            method, url, data=data, headers=headers, allow_redirects=False
        ) as response:
            for header in response.headers.getall("Set-Cookie", []):
                jar: SimpleCookie = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            body = await response.text()
            return response.status, response.headers.get("Location", ""), body

    async def follow(self, method: str, url: str, data: dict[str, str] | None = None) -> tuple:
        """Follow redirects within the provider; stop at the portal's redirect URI."""
        status, location, body = await self.call(method, url, data)
        while status in (302, 303) and not location.startswith(REDIRECT_URI):
            url = location
            status, location, body = await self.call("GET", url)
        return status, location, body, url


async def sign_in(
    http: aiohttp.ClientSession,
    base: str,
    portal: Portal,
    citizen: Citizen,
    step: int,
    results: Results,
    *,
    redeem: bool = True,
) -> Any:
    """One sign-in; the token response, or with ``redeem`` false the code and PKCE verifier."""
    browser = Browser(http, base)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(16)
    query = {
        "response_type": "code",
        "client_id": portal.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "state": state,
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        "acr_values": "loa2",
    }
    status, location, page, url = await browser.follow("GET", "/authorize?" + urlencode(query))
    if status != 200 or 'name="password"' not in page:
        raise FlowError(f"authorize:{status}")
    fields = _form(page) | {"citizen_id": citizen.citizen_id, "password": PASSWORD}
    status, location, page, url = await browser.follow("POST", url, fields)
    if status != 200 or 'name="otp"' not in page:
        raise FlowError(f"password:{status}")
    code = pyotp.TOTP(citizen.totp_secret).generate_otp(step)
    status, location, page, url = await browser.follow("POST", url, _form(page) | {"otp": code})
    if status == 200 and 'name="decision"' in page:
        results.consent_pages += 1
        fields = _form(page) | {"decision": "allow"}
        status, location, page, url = await browser.follow("POST", url, fields)
    if status not in (302, 303) or not location.startswith(REDIRECT_URI):
        raise FlowError(f"otp:{status}")
    answer = parse_qs(urlsplit(location).query)
    if answer.get("state") != [state] or "code" not in answer:
        raise FlowError("redirect")
    if not redeem:
        return answer["code"][0], verifier
    token = {
        "grant_type": "authorization_code",
        "code": answer["code"][0],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    auth = aiohttp.BasicAuth(portal.client_id, portal.client_secret)
    async with http.post(base + "/token", data=token, auth=auth) as response:
        body = await response.json()
        if response.status != 200 or "id_token" not in body:
            raise FlowError(f"token:{response.status}")
        return body


async def run(
    base: str,
    portal: Portal,
    accounts: Accounts,
    *,
    concurrency: int,
    duration: float,
    rate: float | None = None,
) -> Results:
    """Sign in with ``concurrency`` virtual citizens for ``duration`` seconds; with ``rate``,
    start at most that many flows a second (paced, for latency at a given load)."""
    results = Results()
    deadline = time.monotonic() + duration
    started = time.monotonic()
    next_start = [started]

    async def citizen_loop(http: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            if rate:
                slot = next_start[0]
                next_start[0] = slot + 1 / rate
                await asyncio.sleep(max(0.0, slot - time.monotonic()))
                if time.monotonic() >= deadline:
                    return
            taken = await accounts.take(deadline)
            if taken is None:
                return
            account, step = taken
            begin = time.monotonic()
            try:
                await sign_in(http, base, portal, account.citizen, step, results)
            except FlowError as error:
                results.error(str(error))
            except (aiohttp.ClientError, TimeoutError) as error:
                results.error(type(error).__name__)
            else:
                results.latencies.append(time.monotonic() - begin)
            account.last_step = step
            accounts.give_back(account)

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    jar = aiohttp.DummyCookieJar()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=jar) as http:
        await asyncio.gather(*(citizen_loop(http) for _ in range(concurrency)))
    return results
