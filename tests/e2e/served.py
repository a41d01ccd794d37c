"""Driving providers started with `serving` (tests/e2e/conftest.py) as a load balancer does:
each request names the backend it goes to and carries the issuer's Host; one cookie jar
travels between backends."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.e2e.conftest import IDP, SERVED_CITIZENS, SharedDatabase, form_to_submit
from tests.factories import PASSWORD, pkce_pair

HTTP_TIMEOUT = 30


@dataclass
class Balancer:
    """A browser (or a portal) behind the load balancer: each request goes to the backend it
    names, with the issuer's Host; the cookies are the browser's, whichever backend set them."""

    issuer: str
    backends: tuple[str, ...]
    browser: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.browser.headers["Host"] = urlsplit(self.issuer).netloc

    def get(self, backend: int, path: str, **options: Any) -> requests.Response:
        return self.browser.get(
            self.backends[backend] + path, allow_redirects=False, timeout=HTTP_TIMEOUT, **options
        )

    def post(self, backend: int, path: str, **options: Any) -> requests.Response:
        return self.browser.post(
            self.backends[backend] + path, allow_redirects=False, timeout=HTTP_TIMEOUT, **options
        )

    def submit(self, backend: int, page: requests.Response, data: dict[str, str]) -> str:
        """Post ``page``'s form to ``backend``; the path it redirects to."""
        action, fields = form_to_submit(page, data)
        response = self.post(backend, urlsplit(action).path, data=fields)
        assert response.status_code in (302, 303), (response.status_code, response.text)
        return local_path(response)


def local_path(response: requests.Response) -> str:
    """The path and query of a redirect within the provider (absolute or not)."""
    location = urlsplit(response.headers["Location"])
    return location.path + (f"?{location.query}" if location.query else "")


@dataclass
class Portal:
    """The portal's side of an authorization: PKCE, the code exchange, userinfo."""

    shared: SharedDatabase
    balancer: Balancer
    verifier: str = ""

    def authorize_path(self, **extra: str) -> str:
        self.verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": self.shared.portal.client_id,
            "redirect_uri": self.shared.portal.redirect_uri,
            "scope": "openid profile",
            "state": os.urandom(8).hex(),
            "nonce": os.urandom(8).hex(),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        return "/authorize?" + urlencode(params)

    def redeem(self, backend: int, code: str) -> requests.Response:
        secret = self.shared.portal.client_secret
        assert secret
        return requests.post(
            self.balancer.backends[backend] + "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.shared.portal.redirect_uri,
                "code_verifier": self.verifier,
            },
            auth=(self.shared.portal.client_id, secret),
            headers={"Host": self.balancer.browser.headers["Host"]},
            timeout=HTTP_TIMEOUT,
        )

    def userinfo(self, backend: int, access_token: str) -> requests.Response:
        return requests.get(
            self.balancer.backends[backend] + "/userinfo",
            headers={
                "Authorization": f"Bearer {access_token}",
                "Host": self.balancer.browser.headers["Host"],
            },
            timeout=HTTP_TIMEOUT,
        )


@dataclass(frozen=True)
class Hosts:
    shared: SharedDatabase
    issuer: str
    backends: tuple[str, ...]

    def balancer(self) -> Balancer:
        return Balancer(self.issuer, self.backends)

    def idp(self, *args: str, **settings: str) -> str:
        """Run an `idp` command against the shared database; its standard output."""
        done = subprocess.run(
            [IDP, *args],
            env={**os.environ, **self.shared.environ, **settings},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def sign_in(
    hosts: Hosts, steps: tuple[int, int, int, int], citizen_id: str = SERVED_CITIZENS[0]
) -> tuple[Balancer, Portal, dict[str, str]]:
    """A whole sign-in, each step on the backend ``steps`` names: the authorization request,
    the password page, consent (when asked), the resumption. The portal's callback query."""
    authorize, password, consent, resume = steps
    balancer = hosts.balancer()
    portal = Portal(hosts.shared, balancer)
    started = balancer.get(authorize, portal.authorize_path())
    assert started.status_code == 302, started.text
    signin_path = local_path(started)
    assert signin_path.startswith("/signin/"), signin_path
    page = balancer.get(password, signin_path)
    assert page.status_code == 200, page.text
    after = balancer.submit(password, page, {"citizen_id": citizen_id, "password": PASSWORD})
    if after.startswith("/consent/"):
        page = balancer.get(consent, after)
        if page.status_code == 200:
            action, fields = form_to_submit(page, {"decision": "allow"})
            page = balancer.post(consent, urlsplit(action).path, data=fields)
        after = local_path(page)  # allowed now, or remembered from an earlier sign-in
    assert after.startswith("/authorize/resume/"), after
    finished = balancer.get(resume, after)
    assert finished.status_code in (302, 303), finished.text
    callback = finished.headers["Location"]
    assert callback.startswith(hosts.shared.portal.redirect_uri), callback
    return balancer, portal, {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}


def tokens(portal: Portal, backend: int, code: str) -> dict[str, Any]:
    redeemed = portal.redeem(backend, code)
    assert redeemed.status_code == 200, redeemed.text
    body: dict[str, Any] = redeemed.json()
    return body
