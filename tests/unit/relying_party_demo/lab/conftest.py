"""Fixtures for the security lab: stub providers on 127.0.0.1 (``lab_stub.py``), each correct but
for the misbehaviours a test names, and nothing else on the network."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from lab_stub import StubProvider

_send = requests.adapters.HTTPAdapter.send


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Overrides the portal's fixture of the same name: the lab's tests reach their stub
    provider on 127.0.0.1, and nothing else."""

    def send(
        adapter: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
    ) -> Any:
        if urlsplit(request.url or "").hostname != "127.0.0.1":
            raise requests.ConnectionError(f"no network in unit tests: {request.url}")
        return _send(adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)


@pytest.fixture
def start_stub() -> Iterator[Callable[..., StubProvider]]:
    """Start a stub provider with the given misbehaviours; stopped after the test."""
    started: list[StubProvider] = []

    def start(*misbehaviours: str) -> StubProvider:
        stub = StubProvider(frozenset(misbehaviours)).__enter__()
        started.append(stub)
        return stub

    yield start
    for stub in started:
        stub.stop()


@pytest.fixture
def stub(start_stub: Callable[..., StubProvider]) -> StubProvider:
    """A stub provider that follows every rule the lab checks."""
    return start_stub()
