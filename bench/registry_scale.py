"""Benchmark: do sign-in, token and userinfo slow down as the registry grows?

    .venv/bin/python bench/registry_scale.py \
        --small postgresql+psycopg://postgres@127.0.0.1:5432/registry_small \
        --large postgresql+psycopg://postgres@127.0.0.1:5432/registry_bench --sign-ins 300

Two scratch databases: ``--small`` is seeded up to ``--small-count`` citizens (10,000) if it
holds fewer; ``--large`` is used as it is (seed it first with `idp population seed`). In each,
``--accounts`` citizens spread over the whole registry (by key, from the first to the last) get
an account with a password, and a portal is registered; each database is then served by its
own gunicorn on 127.0.0.1. The sign-ins run one at a time, alternating between the two
providers, so that whatever else loads the machine weighs on both alike; each is a new browser
that signs in with the password (consent given once beforehand), redeems the code at /token and
reads /userinfo. Printed: p50 and p95 of each step for both registries and the difference.
Signing keys are made with the script's own key-encryption key: a database whose keys were sealed
with another (by `idp init`) needs its ``signing_key`` rows deleted first. Results: README.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from idp import create_app
from idp.accounts.service import create_account
from idp.cli import gunicorn_command
from idp.consent.purposes import Purpose
from idp.database import upgrade_to_latest
from idp.extensions import db
from idp.keys.store import ensure_keys
from idp.models import Account, Citizen
from idp.oidc.clients import register_client
from idp.population.seed import seed

PASSWORD = "bench: a long enough passphrase 2026"  # noqa: S105 - scratch accounts
REDIRECT_URI = "http://127.0.0.1:5999/callback"  # never contacted: the code is read from it
SCOPE = "openid profile"
STEPS = ("sign-in", "token", "userinfo")


@dataclass
class Provider:
    label: str
    url: str
    issuer: str = ""
    citizens: int = 0
    numbers: list[str] = field(default_factory=list)
    client_id: str = ""
    client_secret: str = ""
    timings: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})


def environ(provider: Provider, instance: str) -> dict[str, str]:
    return {
        "IDP_ENV": "development",
        "IDP_ISSUER": provider.issuer,
        "IDP_DATABASE_URL": provider.url,
        "IDP_INSTANCE_PATH": instance,
        "IDP_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
        "IDP_KEY_ENCRYPTION_KEY": "bench-key-encryption-key-0123456789abcdef",
        "IDP_SUBJECT_SALT": "bench-subject-salt-0123456789abcdef0123",
    }


def prepare(provider: Provider, instance: str, small_count: int, accounts: int) -> None:
    """Schema, keys, citizens (the small registry only), accounts spread over the registry, and
    a portal."""
    app = create_app(environ(provider, instance))
    with app.app_context():
        upgrade_to_latest()
        ensure_keys()
        count = db.session.scalar(select(func.count()).select_from(Citizen)) or 0
        if provider.label == "small" and count < small_count:
            seed(small_count - count, 2026)
            count = small_count
        provider.citizens = count
        first, last = db.session.execute(select(func.min(Citizen.id), func.max(Citizen.id))).one()
        for n in range(accounts):
            key = first + (last - first) * n // max(accounts - 1, 1)
            number = db.session.scalar(
                select(Citizen.citizen_id).where(Citizen.id >= key).order_by(Citizen.id).limit(1)
            )
            assert number is not None
            registered = db.session.scalar(
                select(Account.id).join(Citizen).where(Citizen.citizen_id == number)
            )
            if registered is None:  # else made by an earlier run, with the same password
                create_account(number, PASSWORD)
            provider.numbers.append(number)
        registration = register_client(
            name=f"Registry benchmark {secrets.token_hex(3)}",
            redirect_uris=[REDIRECT_URI],
            scope=SCOPE,
            purposes={"profile": Purpose("Đo thời gian đăng nhập")},
        )
        provider.client_id = registration.client.client_id
        assert registration.client_secret is not None
        provider.client_secret = registration.client_secret
        db.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(provider: Provider, instance: str) -> Iterator[None]:
    command = gunicorn_command("idp.wsgi:app", "127.0.0.1", urlsplit(provider.issuer).port or 0, 1)
    env = {**os.environ, **environ(provider, instance)}
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,  # the access log; errors go to stderr
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the {provider.label} provider exited"
            try:
                requests.get(provider.issuer + "/.well-known/openid-configuration", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def hidden_fields(page: requests.Response) -> dict[str, str]:
    soup = BeautifulSoup(page.text, "html.parser")
    sent = soup.select("form input[type=hidden], form input[type=checkbox][checked]")
    return {str(i["name"]): str(i.get("value", "on")) for i in sent}


def follow(browser: requests.Session, response: requests.Response) -> requests.Response:
    """Follow the provider's redirects until the portal's redirect URI or a page."""
    while response.is_redirect and not response.headers["Location"].startswith(REDIRECT_URI):
        location = urljoin(response.url, response.headers["Location"])
        response = browser.get(location, allow_redirects=False)
    return response


def sign_in(provider: Provider, number: str, record: bool) -> None:
    """One sign-in in a new browser, its code redeemed and userinfo read; with ``record`` the
    latencies are kept. Consent is given when asked (the first time for each account)."""
    browser = requests.Session()
    verifier = secrets.token_urlsafe(48)  # RFC 7636 §4.2: challenge = BASE64URL(SHA-256(verifier))
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    login = follow(
        browser,
        browser.get(f"{provider.issuer}/authorize?{urlencode(params)}", allow_redirects=False),
    )
    form = {**hidden_fields(login), "citizen_id": number, "password": PASSWORD}
    started = time.perf_counter()
    done = follow(browser, browser.post(login.url, data=form, allow_redirects=False))
    signed_in = time.perf_counter() - started
    if not done.is_redirect:  # the consent page, the first time
        data = {**hidden_fields(done), "decision": "allow"}
        done = follow(browser, browser.post(done.url, data=data, allow_redirects=False))
    assert done.is_redirect, done.status_code
    code = parse_qs(urlsplit(done.headers["Location"]).query)["code"][0]

    started = time.perf_counter()
    token = requests.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(provider.client_id, provider.client_secret),
        timeout=30,
    )
    redeemed = time.perf_counter() - started
    assert token.status_code == 200, token.text
    started = time.perf_counter()
    userinfo = requests.get(
        f"{provider.issuer}/userinfo",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=30,
    )
    read = time.perf_counter() - started
    assert userinfo.status_code == 200, userinfo.text
    if record:
        for step, seconds in zip(STEPS, (signed_in, redeemed, read), strict=True):
            provider.timings[step].append(seconds * 1000)


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def report(small: Provider, large: Provider) -> None:
    print(f"small: {small.citizens:,} citizens; large: {large.citizens:,} citizens")
    print(f"{'step':<9} {'':>4} {'small ms':>9} {'large ms':>9} {'difference':>10}")
    for step in STEPS:
        for name, share in (("p50", 0.5), ("p95", 0.95)):
            a = percentile(small.timings[step], share)
            b = percentile(large.timings[step], share)
            print(f"{step:<9} {name:>4} {a:9.1f} {b:9.1f} {(b - a) / a:+10.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--small", required=True, help="database URL of the small registry")
    parser.add_argument("--large", required=True, help="database URL of the large registry")
    parser.add_argument("--small-count", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--sign-ins", type=int, default=300, help="measured, per registry")
    parser.add_argument(
        "--max-minutes", type=float, default=20, help="stop measuring then, and report"
    )
    options = parser.parse_args()

    small, large = Provider("small", options.small), Provider("large", options.large)
    with ExitStack() as stack:
        for provider in (small, large):
            instance = stack.enter_context(tempfile.TemporaryDirectory(prefix="idp-bench-"))
            provider.issuer = f"http://localhost:{free_port()}"
            prepare(provider, instance, options.small_count, options.accounts)
            stack.enter_context(served(provider, instance))
        for provider in (small, large):  # consent once per account, and warm the caches
            for number in provider.numbers:
                sign_in(provider, number, record=False)
        stop_at = time.monotonic() + options.max_minutes * 60
        for n in range(options.sign_ins):
            if time.monotonic() > stop_at:
                print(f"stopped after {n} sign-ins per registry: --max-minutes reached")
                break
            for provider in (small, large):
                sign_in(provider, provider.numbers[n % len(provider.numbers)], record=True)
    report(small, large)
    load: Any = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f}; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
