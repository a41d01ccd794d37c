"""Overload: a flood of password attempts at a real `idp serve` (gunicorn, one threaded worker)
with a small hashing queue (authn/hashing). The password step answers some attempts at once
with 503 and Retry-After, none waits without bound, and JWKS and userinfo keep answering about
as fast as when the provider is idle.

No absolute timings: the cheap endpoints are compared with their own idle baseline, with a
generous ratio, because this machine is shared. The flood runs in a process of its own so the
test's own measurements do not wait for the flood's threads."""

from __future__ import annotations

import multiprocessing
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from queue import Empty
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import SERVED_CITIZENS, SharedDatabase, form_to_submit, serving
from tests.e2e.served import HTTP_TIMEOUT, Hosts, Portal, local_path, sign_in, tokens

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

QUEUE_TIMEOUT = 1
SETTINGS = {
    "IDP_HASHING_CONCURRENCY": "1",
    "IDP_HASHING_QUEUE": "2",
    "IDP_HASHING_QUEUE_TIMEOUT": str(QUEUE_TIMEOUT),
    # Wrong passwords are the flood; lock-outs would refuse them before hashing.
    "IDP_LOCKOUT_THRESHOLD": "1000000",
    "IDP_ADDRESS_FAILURE_LIMIT": "1000000",
}
# Bursts of this many password attempts at once, far more than the 1 + 2 the queue admits: a
# crowd arriving together, as before a deadline. Between bursts the flood pauses, so what is
# flooded is hashing, not the worker's threads: a flood of requests of any kind is for the
# reverse proxy's limits (docs/operations.md §4).
FLOOD_THREADS = 16
PAUSE_BETWEEN_BURSTS = 0.5
FLOOD_MAX_SECONDS = 60
# An answer later than this is a hang: the queue's wait, one hash and the rest of the request,
# on a shared 2-CPU machine, with room to spare.
ANSWER_WITHIN = QUEUE_TIMEOUT + 9
SAMPLES = 20
SAMPLE_SPACING = 0.1
# During the flood the cheap endpoints may be slower than idle (the CPUs are busy hashing and
# refusing), but by a bounded factor, not by the flood's length.
SLOWER_AT_MOST = 10


@pytest.fixture(scope="module")
def provider(shared_database: SharedDatabase) -> Iterator[Hosts]:
    environ = {**shared_database.environ, **SETTINGS}
    with serving(environ, "--workers", "1", "--threads", "8") as url:
        issuer = shared_database.environ["IDP_ISSUER"]
        yield Hosts(SharedDatabase(environ, shared_database.portal), issuer, (url,))


@dataclass(frozen=True)
class Answer:
    status: int
    seconds: float
    retry_after: str | None
    body: str


def _attempt_wrong_passwords(
    backend: str,
    host: str,
    authorize_path: str,
    together: threading.Barrier,
    answers: list[Answer],
) -> None:
    browser = requests.Session()
    browser.headers["Host"] = host
    started = browser.get(backend + authorize_path, allow_redirects=False, timeout=HTTP_TIMEOUT)
    page = browser.get(backend + local_path(started), timeout=HTTP_TIMEOUT)
    action, fields = form_to_submit(
        page, {"citizen_id": SERVED_CITIZENS[1], "password": "not the password at all"}
    )
    while True:
        try:
            together.wait(FLOOD_MAX_SECONDS)
        except threading.BrokenBarrierError:
            return  # the flood is over
        began = time.perf_counter()
        response = browser.post(
            backend + urlsplit(action).path,
            data=fields,
            allow_redirects=False,
            timeout=FLOOD_MAX_SECONDS,
        )
        answers.append(
            Answer(
                response.status_code,
                time.perf_counter() - began,
                response.headers.get("Retry-After"),
                response.text if response.status_code == 503 else "",
            )
        )
        time.sleep(PAUSE_BETWEEN_BURSTS)


def flood(
    backend: str,
    host: str,
    authorize_paths: list[str],
    ready: Event,
    stop: Event,
    results: multiprocessing.Queue[list[Answer]],
) -> None:
    """In a process of its own: one thread per authorization, all posting a wrong password
    at the same moment, again and again, until ``stop`` (or FLOOD_MAX_SECONDS)."""
    answers: list[Answer] = []
    together = threading.Barrier(len(authorize_paths))
    threads = [
        threading.Thread(
            target=_attempt_wrong_passwords, args=(backend, host, path, together, answers)
        )
        for path in authorize_paths
    ]
    for thread in threads:
        thread.start()
    while len(answers) < len(threads) and not stop.is_set():
        time.sleep(0.05)
    ready.set()
    stop.wait(FLOOD_MAX_SECONDS)
    together.abort()
    for thread in threads:
        thread.join(FLOOD_MAX_SECONDS)
    results.put(answers)


def median_seconds(get: Any, samples: int = SAMPLES) -> float:
    """The median time of ``samples`` requests, spread over a few bursts of the flood."""
    timings = []
    for _ in range(samples):
        began = time.perf_counter()
        response = get()
        timings.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text
        time.sleep(SAMPLE_SPACING)
    return statistics.median(timings)


def test_a_flood_of_sign_ins_is_refused_quickly_and_the_rest_keeps_its_speed(
    provider: Hosts,
) -> None:
    backend = provider.backends[0]
    _, portal, callback = sign_in(provider, (0, 0, 0, 0))
    access_token = tokens(portal, 0, callback["code"])["access_token"]
    cheap = {
        "jwks": lambda: requests.get(backend + "/jwks.json", timeout=HTTP_TIMEOUT),
        "userinfo": lambda: portal.userinfo(0, access_token),
    }
    for get in cheap.values():
        median_seconds(get, samples=3)  # warm up
    idle = {name: median_seconds(get) for name, get in cheap.items()}

    spawn = multiprocessing.get_context("spawn")
    ready, stop, results = spawn.Event(), spawn.Event(), spawn.Queue()
    paths = [
        Portal(provider.shared, provider.balancer()).authorize_path() for _ in range(FLOOD_THREADS)
    ]
    host = provider.balancer().browser.headers["Host"]
    flooding = spawn.Process(target=flood, args=(backend, host, paths, ready, stop, results))
    flooding.start()
    try:
        assert ready.wait(FLOOD_MAX_SECONDS), "the flood did not start"
        loaded = {name: median_seconds(get) for name, get in cheap.items()}
    finally:
        stop.set()
        try:
            answers: list[Answer] = results.get(timeout=FLOOD_MAX_SECONDS * 2)
        except Empty:
            answers = []
        flooding.join(FLOOD_MAX_SECONDS)
        if flooding.is_alive():
            flooding.kill()
    statuses = Counter(answer.status for answer in answers)
    print(f"idle {idle}, during the flood {loaded}, answers {statuses}")

    assert set(statuses) == {401, 503}, statuses  # verified and refused; nothing else, no 500
    busy = [answer for answer in answers if answer.status == 503]
    assert {answer.retry_after for answer in busy} == {str(QUEUE_TIMEOUT)}
    assert "Nhiều người đang đăng nhập cùng lúc" in busy[0].body
    slowest = max(answer.seconds for answer in answers)
    assert slowest < ANSWER_WITHIN, slowest
    for name, seconds in loaded.items():
        assert seconds < idle[name] * SLOWER_AT_MOST, (name, idle[name], seconds)
