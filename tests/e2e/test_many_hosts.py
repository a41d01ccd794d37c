"""Two providers as two hosts behind a load balancer: two `idp serve` processes (gunicorn) on two
ports, one PostgreSQL, one Redis (DESIGN.md §4, stateless workers). The test plays the balancer:
every request names the backend it goes to and carries the issuer's Host, and one cookie jar
travels between them, so any step can land on either host.

Needs IDP_TEST_DATABASE_URL and IDP_TEST_REDIS_URL (`.ci/run` sets both)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from limits.storage import storage_from_string

from tests.e2e.conftest import SERVED_CITIZENS, SharedDatabase, form_to_submit, free_port, serving
from tests.e2e.served import HTTP_TIMEOUT, Hosts, Portal, local_path, sign_in, tokens
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

REDIS_URL = os.environ.get("IDP_TEST_REDIS_URL")
WRONG = "not the password at all"
# docs/operations.md §9: a key made by `idp keys rotate` is published, and signs if it activates
# at once, on every worker and host within this many seconds.
ROTATION_SHOWS_WITHIN = 5
# One worker process per host: each host is its own process, which is what is under test.
ONE_WORKER = ("--workers", "1")


@pytest.fixture(scope="module")
def hosts(shared_database: SharedDatabase) -> Iterator[Hosts]:
    if not REDIS_URL:
        pytest.skip("IDP_TEST_REDIS_URL is not set")
    # The balancer's address: what portals and browsers know; nothing listens there.
    issuer = f"http://localhost:{free_port()}"
    environ = {
        **shared_database.environ,
        "IDP_ISSUER": issuer,
        "IDP_RATELIMIT_STORAGE_URI": REDIS_URL,
        "IDP_LOCKOUT_THRESHOLD": "3",
    }
    shared = SharedDatabase(environ, shared_database.portal)
    counters = storage_from_string(REDIS_URL)
    counters.reset()  # no lock-out left from an earlier run
    try:
        with (
            serving(environ, "--workers", "1") as first,
            serving(environ, "--workers", "1") as second,
        ):
            yield Hosts(shared, issuer, (first, second))
    finally:
        counters.reset()


def test_a_sign_in_started_on_one_host_finishes_on_the_other(hosts: Hosts) -> None:
    _, portal, callback = sign_in(hosts, (0, 1, 0, 1))
    assert callback["iss"] == hosts.issuer  # RFC 9207, the balancer's name on either host
    issued = tokens(portal, 0, callback["code"])
    assert portal.userinfo(1, issued["access_token"]).status_code == 200


def test_a_code_issued_by_one_host_is_redeemed_once_at_the_other(hosts: Hosts) -> None:
    _, portal, callback = sign_in(hosts, (0, 0, 0, 0))
    issued = tokens(portal, 1, callback["code"])
    claims = portal.userinfo(0, issued["access_token"]).json()
    assert claims["name"] == "Nguyễn Văn An"
    # RFC 6749 §4.1.2: the code is single-use whichever host it is shown to again, and the
    # replay revokes what it issued.
    replayed = portal.redeem(0, callback["code"])
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"
    assert portal.userinfo(1, issued["access_token"]).status_code == 401


@pytest.mark.spec("NIST-800-63B-5.2.2")
def test_failures_on_both_hosts_count_towards_one_lock_out(hosts: Hosts) -> None:
    """IDP_LOCKOUT_THRESHOLD=3, counted in the shared Redis store."""
    balancer = hosts.balancer()
    portal = Portal(hosts.shared, balancer)
    signin_path = local_path(balancer.get(0, portal.authorize_path()))
    statuses = []
    for backend in (0, 1, 0, 1):
        page = balancer.get(backend, signin_path)
        action, fields = form_to_submit(page, {"citizen_id": SERVED_CITIZENS[1], "password": WRONG})
        statuses.append(balancer.post(backend, urlsplit(action).path, data=fields).status_code)
    assert statuses == [401, 401, 429, 429]
    page = balancer.get(0, signin_path)
    action, fields = form_to_submit(page, {"citizen_id": SERVED_CITIZENS[1], "password": PASSWORD})
    refused = balancer.post(0, urlsplit(action).path, data=fields)
    assert refused.status_code == 429  # the right password, during the lock-out
    assert int(refused.headers["Retry-After"]) > 0


def jwks_kids(hosts: Hosts, backend: int) -> set[str]:
    published = requests.get(hosts.backends[backend] + "/jwks.json", timeout=HTTP_TIMEOUT)
    assert published.status_code == 200
    return {key["kid"] for key in published.json()["keys"]}


def test_a_key_rotated_with_idp_keys_is_served_and_used_by_both_hosts(hosts: Hosts) -> None:
    """A compromised key's replacement (lead time 0) signs at once: within
    ROTATION_SHOWS_WITHIN seconds both hosts publish it and sign with it, and an ID token
    from one host verifies with the JWKS of the other."""
    rotated_at = time.monotonic()
    output = hosts.idp("keys", "rotate", "--alg", "ES256", IDP_KEY_PUBLISH_LEAD_TIME="0")
    kid = output.split("signing key ")[1].split(":")[0]
    for backend in (0, 1):
        while kid not in jwks_kids(hosts, backend):
            assert time.monotonic() - rotated_at < ROTATION_SHOWS_WITHIN, backend
            time.sleep(0.2)
    # The signing side may lag as long as the publishing side: wait out the bound.
    time.sleep(max(0.0, rotated_at + ROTATION_SHOWS_WITHIN - time.monotonic()))
    for issuing, verifying in ((0, 1), (1, 0)):
        _, portal, callback = sign_in(hosts, (issuing,) * 4)
        id_token = tokens(portal, issuing, callback["code"])["id_token"]
        published = requests.get(hosts.backends[verifying] + "/jwks.json", timeout=HTTP_TIMEOUT)
        verified = jwt.decode(id_token, KeySet.import_key_set(published.json()))
        assert verified.header["kid"] == kid
        assert verified.claims["iss"] == hosts.issuer


def test_a_logout_on_one_host_ends_the_session_on_both(hosts: Hosts) -> None:
    balancer, portal, callback = sign_in(hosts, (0, 0, 0, 0))
    issued = tokens(portal, 0, callback["code"])
    cookies_before = balancer.browser.cookies.copy()
    ended = balancer.get(
        1,
        "/logout?"
        + urlencode(
            {"id_token_hint": issued["id_token"], "client_id": hosts.shared.portal.client_id}
        ),
    )
    assert ended.status_code == 200, ended.text
    # The old cookie, replayed at the other host, names a session that has ended.
    balancer.browser.cookies = cookies_before
    silent = balancer.get(0, portal.authorize_path(prompt="none"))
    assert silent.status_code == 302
    assert parse_qs(urlsplit(silent.headers["Location"]).query)["error"] == ["login_required"]
    # Ending a session revokes the access tokens issued in it, at every host.
    assert portal.userinfo(0, issued["access_token"]).status_code == 401
