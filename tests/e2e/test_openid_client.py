"""A certified relying-party library that is not Authlib signs a citizen in against `idp demo`:
panva's `openid-client` for Node.js (tests/e2e/openid_client/rp.mjs), with its strict defaults.

openid-client does discovery, PKCE, state and nonce, the code exchange and the validation of the
ID token (signature from the JWKS, iss, aud, azp, exp, iat, nonce; at_hash, optional in the code
flow, is left to the script), userinfo, the refresh grant and the end-session URL. This test
plays the browser in between with requests, as test_demo_sign_in.py does, and stops at each
redirect back to the portal: nothing listens there. All traffic stays on loopback; only `npm ci`
talks to the npm registry, once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest
import requests

from idp.consent.purposes import NO_DATA
from idp.sandbox import SANDBOX
from tests.e2e.conftest import Demo, form_to_submit

pytestmark = pytest.mark.e2e

RP_DIR = Path(__file__).parent / "openid_client"
SCOPE = "openid profile citizen_id offline_access"
HTTP_TIMEOUT = 15
STEP_TIMEOUT = 60
INSTALL_TIMEOUT = 300
LOOPBACK = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Portal:
    """The openid-client portal: its registration and the node script that plays it."""

    node: str
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str

    @property
    def origin(self) -> str:
        return urljoin(self.redirect_uri, "/")

    def _run(self, name: str, data: dict[str, str]) -> subprocess.CompletedProcess[str]:
        registration = {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        return subprocess.run(
            [self.node, "rp.mjs", name],
            cwd=RP_DIR,
            input=json.dumps({**registration, **data}),
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )

    def step(self, name: str, **data: str) -> dict[str, Any]:
        """Run one step of rp.mjs and return its JSON output."""
        done = self._run(name, data)
        assert done.returncode == 0, f"rp.mjs {name} failed: {done.stderr}"
        output: dict[str, Any] = json.loads(done.stdout)
        return output

    def step_error(self, name: str, **data: str) -> dict[str, Any]:
        """Run one step that openid-client must fail; return the error it reported."""
        done = self._run(name, data)
        assert done.returncode == 1, f"rp.mjs {name} should have failed: {done.stdout}"
        error: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
        return error


def _unused_port() -> int:
    """A loopback port nobody listens on: the portal's redirects are captured, never followed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def node() -> str:
    """node, with openid-client installed from package-lock.json (once per session)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("the openid-client test needs node and npm on PATH")
    try:
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=RP_DIR,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"npm ci in {RP_DIR} took more than {INSTALL_TIMEOUT}s")
    if installed.returncode != 0:
        pytest.fail(f"npm ci in {RP_DIR} failed:\n{installed.stdout}\n{installed.stderr}")
    return node


@pytest.fixture
def portal(demo: Demo, node: str) -> Portal:
    """A portal registered with the real `idp clients create`, on the demo's instance."""
    origin = f"http://127.0.0.1:{_unused_port()}"
    created = subprocess.run(
        [
            str(Path(sys.executable).parent / "idp"),
            "clients",
            "create",
            "--name",
            "openid-client e2e",
            "--redirect-uri",
            f"{origin}/cb",
            "--scope",
            SCOPE,
            *(f"--purpose={s}=openid-client e2e" for s in SCOPE.split() if s not in NO_DATA),
            "--post-logout-redirect-uri",
            f"{origin}/bye",
            "--json",
        ],
        env={**os.environ, **demo.environ},
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    registration = json.loads(created.stdout)
    return Portal(
        node=node,
        issuer=demo.issuer,
        client_id=registration["client_id"],
        client_secret=registration["client_secret"],
        redirect_uri=f"{origin}/cb",
        post_logout_redirect_uri=f"{origin}/bye",
    )


def _on_loopback(url: str) -> str:
    assert urlsplit(url).hostname in LOOPBACK, f"left loopback: {url}"
    return url


def _browse(
    browser: requests.Session, response: requests.Response, portal: Portal
) -> requests.Response:
    """Follow redirects as a browser does, but stop at the one that goes back to the portal
    (returned as is, with its Location)."""
    for _ in range(10):
        if not response.is_redirect:
            return response
        target = urljoin(response.url, response.headers["Location"])
        if target.startswith(portal.origin):
            return response
        response = browser.get(_on_loopback(target), allow_redirects=False, timeout=HTTP_TIMEOUT)
    raise AssertionError(f"too many redirects, last {response.url}")


def _open(browser: requests.Session, url: str, portal: Portal) -> requests.Response:
    first = browser.get(_on_loopback(url), allow_redirects=False, timeout=HTTP_TIMEOUT)
    return _browse(browser, first, portal)


def _submit(
    browser: requests.Session,
    page: requests.Response,
    portal: Portal,
    data: dict[str, str],
    button: tuple[str, str] | None = None,
) -> requests.Response:
    action, fields = form_to_submit(page, data, button)
    posted = browser.post(
        _on_loopback(action),
        data=fields,
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    return _browse(browser, posted, portal)


def _back_at_portal(response: requests.Response, portal: Portal, uri: str) -> dict[str, list[str]]:
    """The query of the redirect back to the portal at ``uri``."""
    assert response.is_redirect, f"{response.status_code} {response.url}: {response.text[:2000]}"
    location = urljoin(response.url, response.headers["Location"])
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == uri, location
    return parse_qs(parts.query)


def test_openid_client_signs_in_refreshes_and_logs_out(demo: Demo, portal: Portal) -> None:
    sandbox = SANDBOX[2]  # not the accounts of the other e2e tests: a TOTP code is used once
    assert sandbox.totp_secret
    browser = requests.Session()

    # Discovery, PKCE, state and nonce. OIDC Core §11: offline access is asked with
    # prompt=consent.
    start = portal.step("auth-url", redirect_uri=portal.redirect_uri, scope=SCOPE, prompt="consent")
    assert start["server"]["issuer"] == demo.issuer
    assert start["authorization_url"].startswith(demo.issuer + "/authorize?")

    # The citizen signs in with password and TOTP, and allows.
    sign_in = _open(browser, start["authorization_url"], portal)
    assert sign_in.url.startswith(demo.issuer + "/signin/"), sign_in.text
    otp_page = _submit(
        browser,
        sign_in,
        portal,
        {"citizen_id": sandbox.record.citizen_id, "password": sandbox.password},
    )
    assert otp_page.url.endswith("/otp"), otp_page.text
    consent = _submit(browser, otp_page, portal, {"otp": pyotp.TOTP(sandbox.totp_secret).now()})
    assert "/consent/" in consent.url, consent.text
    back = _submit(browser, consent, portal, {}, button=("decision", "allow"))
    query = _back_at_portal(back, portal, portal.redirect_uri)
    assert query["state"] == [start["state"]]
    assert query["iss"] == [demo.issuer]
    callback_url = urljoin(back.url, back.headers["Location"])

    # Code exchange with PKCE, strict ID token validation, userinfo with the expected sub.
    signed_in = portal.step(
        "callback",
        callback_url=callback_url,
        code_verifier=start["code_verifier"],
        state=start["state"],
        nonce=start["nonce"],
    )
    claims = signed_in["claims"]
    assert signed_in["id_token_header"]["alg"] == "ES256"
    assert signed_in["id_token_header"]["kid"]
    assert claims["iss"] == demo.issuer
    assert claims["aud"] == portal.client_id
    assert claims["azp"] == portal.client_id
    assert claims["nonce"] == start["nonce"]
    assert claims["sub"] != sandbox.record.citizen_id
    assert sandbox.record.citizen_id not in claims["sub"]
    assert claims["acr"] == "loa2"
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["at_hash"] == signed_in["expected_at_hash"]
    assert isinstance(claims["sid"], str)
    assert claims["sid"]
    # The ID token says who and how strongly; the data comes from userinfo only.
    assert "citizen_id" not in claims
    assert "name" not in claims
    assert signed_in["token_type"].lower() == "bearer"
    assert signed_in["has_access_token"]
    userinfo = signed_in["userinfo"]
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["citizen_id"] == sandbox.record.citizen_id
    assert userinfo["name"] == "Lê Minh Châu"

    # Refresh (offline_access): a new access token that userinfo accepts, and a rotated
    # refresh token.
    first_refresh_token = signed_in["refresh_token"]
    assert first_refresh_token, (
        "the provider issued no refresh token for a grant that includes offline_access "
        f"(token response: {signed_in['scope']=}, {signed_in['has_refresh_token']=})"
    )
    refreshed = portal.step(
        "refresh", refresh_token=first_refresh_token, expected_subject=claims["sub"]
    )
    assert refreshed["has_access_token"]
    assert refreshed["refresh_token"]
    assert refreshed["refresh_token"] != first_refresh_token
    assert refreshed["userinfo"]["sub"] == claims["sub"]
    assert refreshed["userinfo"]["citizen_id"] == sandbox.record.citizen_id
    if refreshed["claims"] is not None:  # an ID token on refresh is optional (OIDC Core §12.2)
        assert refreshed["claims"]["sub"] == claims["sub"]
    # Rotation: the first refresh token is spent.
    reused = portal.step_error(
        "refresh", refresh_token=first_refresh_token, expected_subject=claims["sub"]
    )
    assert reused.get("error") == "invalid_grant", reused

    # The provider session is still alive: prompt=none answers with a code at once.
    silent = portal.step(
        "auth-url", redirect_uri=portal.redirect_uri, scope="openid profile", prompt="none"
    )
    answer = _open(browser, silent["authorization_url"], portal)
    query = _back_at_portal(answer, portal, portal.redirect_uri)
    assert "code" in query, query
    assert query["state"] == [silent["state"]]
    # openid-client's ID token checks are live: the same answer with another nonce is refused.
    refused = portal.step_error(
        "callback",
        callback_url=urljoin(answer.url, answer.headers["Location"]),
        code_verifier=silent["code_verifier"],
        state=silent["state"],
        nonce=start["nonce"],
    )
    assert refused["code"] == "OAUTH_JWT_CLAIM_COMPARISON_FAILED", refused
    assert refused["cause"]["cause"]["claim"] == "nonce", refused  # ClientError ◂ JWT check

    # RP-initiated logout with id_token_hint: straight back to the registered URI with state.
    logout = portal.step(
        "logout-url",
        id_token=signed_in["id_token"],
        post_logout_redirect_uri=portal.post_logout_redirect_uri,
        state="logout-state-1",
    )
    assert logout["end_session_url"].startswith(demo.issuer + "/logout?")
    bye = _open(browser, logout["end_session_url"], portal)
    assert _back_at_portal(bye, portal, portal.post_logout_redirect_uri) == {
        "state": ["logout-state-1"]
    }

    # The session is over: a new authorization request goes to the sign-in page.
    again = portal.step("auth-url", redirect_uri=portal.redirect_uri, scope="openid profile")
    page = _open(browser, again["authorization_url"], portal)
    assert page.url.startswith(demo.issuer + "/signin/"), page.url
