"""A signing key's life as a plain function of time, and the published documents' serialisation
and conditional responses."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from idp.keys.store import KeyState, lifecycle
from idp.models import SigningKey
from idp.oidc.published import MAX_AGE, public_response, serialised

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
LIFETIME = timedelta(seconds=600)


def key(kid: str, *, activates: int, alg: str = "ES256", created: int = 0) -> SigningKey:
    """A key created ``created`` seconds after T0 that activates ``activates`` seconds after."""
    return SigningKey(
        kid=kid,
        alg=alg,
        public_jwk={"kid": kid},
        private_jwk_sealed=b"",
        created_at=T0 + timedelta(seconds=created),
        activates_at=T0 + timedelta(seconds=activates),
    )


def states(keys: list[SigningKey], at: int) -> dict[str, KeyState]:
    now = T0 + timedelta(seconds=at)
    return {s.key.kid: s.state for s in lifecycle(keys, now=now, token_lifetime=LIFETIME)}


ROTATED = [key("old", activates=0), key("new", activates=3600, created=10)]


@pytest.mark.parametrize(
    ("at", "old", "new"),
    [
        (10, KeyState.ACTIVE, KeyState.PENDING),
        (3599, KeyState.ACTIVE, KeyState.PENDING),
        (3600, KeyState.RETIRED, KeyState.ACTIVE),
        (3600 + 599, KeyState.RETIRED, KeyState.ACTIVE),
        (3600 + 600, KeyState.EXPIRED, KeyState.ACTIVE),
    ],
)
def test_a_rotated_key_takes_over_at_activation_and_the_old_expires_a_lifetime_later(
    at: int, old: KeyState, new: KeyState
) -> None:
    assert states(ROTATED, at) == {"old": old, "new": new}


def test_a_retired_key_says_when_and_until_when() -> None:
    old, new = lifecycle(ROTATED, now=T0 + timedelta(seconds=3700), token_lifetime=LIFETIME)
    assert old.retired_at == T0 + timedelta(seconds=3600)
    assert old.published_until == T0 + timedelta(seconds=3600) + LIFETIME
    assert old.is_published
    assert (new.retired_at, new.published_until) == (None, None)


def test_keys_take_over_in_order_of_activation_not_creation() -> None:
    keys = [key("late", activates=7200, created=0), key("soon", activates=3600, created=60)]
    assert states(keys, 3600) == {"late": KeyState.PENDING, "soon": KeyState.ACTIVE}
    assert states(keys, 7200) == {"late": KeyState.ACTIVE, "soon": KeyState.RETIRED}


def test_algorithms_rotate_independently() -> None:
    keys = [
        key("es-old", activates=0),
        key("rs", activates=0, alg="RS256"),
        key("es-new", activates=60, created=60),
    ]
    assert states(keys, 60 + 600) == {
        "es-old": KeyState.EXPIRED,
        "rs": KeyState.ACTIVE,
        "es-new": KeyState.ACTIVE,
    }


def test_a_key_overtaken_while_pending_never_signs() -> None:
    keys = [key("a", activates=0), key("b", activates=100), key("c", activates=100, created=5)]
    assert states(keys, 100) == {"a": KeyState.RETIRED, "b": KeyState.RETIRED, "c": KeyState.ACTIVE}
    assert states(keys, 700) == {"a": KeyState.EXPIRED, "b": KeyState.EXPIRED, "c": KeyState.ACTIVE}


def test_lifecycle_keeps_the_order_it_was_given() -> None:
    keys = [ROTATED[1], ROTATED[0]]
    assert [s.key.kid for s in lifecycle(keys, now=T0, token_lifetime=LIFETIME)] == ["new", "old"]


def test_a_document_is_serialised_once_per_key() -> None:
    built: list[str] = []

    def build(value: str) -> dict[str, str]:
        built.append(value)
        return {"value": value}

    first = serialised("unit-test", ("a",), lambda: build("a"))
    again = serialised("unit-test", ("a",), lambda: build("a"))
    other = serialised("unit-test", ("b",), lambda: build("b"))
    assert built == ["a", "b"]
    assert again is first
    assert first.body == b'{"value": "a"}'
    assert first.etag == hashlib.sha256(first.body).hexdigest()
    assert other.etag != first.etag


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [(None, 200), ('"elsewhere"', 200), ("{etag}", 304), ("W/{etag}", 304), ("*", 304)],
)
@pytest.mark.spec("RFC9110-13.1.2")
def test_public_response_answers_a_matching_validator_with_304(
    if_none_match: str | None, status: int
) -> None:
    document = serialised("unit-test-response", 1, lambda: {"keys": []})
    headers = {}
    if if_none_match:
        headers["If-None-Match"] = if_none_match.format(etag=f'"{document.etag}"')
    with Flask(__name__).test_request_context(headers=headers):
        response = public_response(document)
    assert response.status_code == status
    assert response.get_data() == (document.body if status == 200 else b"")
    assert response.headers["ETag"] == f'"{document.etag}"'
    assert response.headers["Cache-Control"] == f"public, max-age={MAX_AGE}"
