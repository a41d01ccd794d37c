"""The audit entry's canonical form and what an entry may hold, as plain function calls."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from idp.audit.events import Event
from idp.audit.ledger import Entry, canonical_details
from idp.audit.verify import Anchor

AT = datetime(2026, 11, 27, 9, 0, 0, 123456, tzinfo=UTC)


def entry(**changes: Any) -> Entry:
    values: dict[str, Any] = {
        "seq": 7,
        "recorded_at": AT,
        "event": "claims:release:userinfo",
        "account_id": 3,
        "citizen": "ab" * 32,
        "client_id": 'portal-"quoted"',
        "details": canonical_details({"claims": ["name", "sub"], "purpose": "Thủ tục \u2028 cấp"}),
        "prev": "cd" * 32,
    }
    values.update(changes)
    return Entry(**values)


@pytest.mark.parametrize(
    "changes", [{}, {"account_id": None, "citizen": None, "client_id": None, "details": "{}"}]
)
def test_the_canonical_form_is_the_sorted_compact_json_of_the_document(
    changes: dict[str, Any],
) -> None:
    """RFC 8785 for these types: what an auditor's JSON library produces from an export line."""
    item = entry(**changes)
    document = item.document()
    expected = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert item.canonical() == expected.encode()
    assert item.digest() == hashlib.sha256(expected.encode()).hexdigest()
    assert document["at"] == "2026-11-27T09:00:00.123456Z"


FIELDS = ["seq", "recorded_at", "event", "account_id", "citizen", "client_id", "details", "prev"]


@pytest.mark.parametrize("field", FIELDS)
def test_every_field_is_hashed(field: str) -> None:
    other: dict[str, Any] = {
        "seq": 8,
        "recorded_at": AT.replace(microsecond=0),
        "event": "claims:release:token",
        "account_id": 4,
        "citizen": "ef" * 32,
        "client_id": "portal",
        "details": "{}",
        "prev": "00" * 32,
    }
    assert entry(**{field: other[field]}).digest() != entry().digest()


def test_details_are_stored_in_canonical_order() -> None:
    assert canonical_details({"b": 1, "a": ["x"], "c": True}) == '{"a":["x"],"b":1,"c":true}'
    assert canonical_details(None) == "{}"


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"Claims": "x"}, "identifier"),
        ({"claim-names": "x"}, "identifier"),
        ({"ratio": 0.5}, "text, a whole number or a list"),
        ({"address": {"street": "x"}}, "text, a whole number or a list"),
        ({"claims": ["sub", 3]}, "must hold text"),
        ({"claims": ["x"] * 101}, "more than 100"),
        ({"note": "x" * 513}, "longer than 512"),
        ({"count": 2**53}, "too large"),
        ({"note": "087084000999"}, "citizen-ID number"),
        ({"numbers": ["087084000999"]}, "citizen-ID number"),
    ],
)
def test_details_refuse_what_cannot_be_hashed_or_must_not_be_kept(
    details: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        canonical_details(details)


def test_events_are_source_subject_action() -> None:
    names = [event.value for event in Event]
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"[a-z]+:[a-z]+:[a-z]+", name), name


@pytest.mark.parametrize(
    "text", ["", "4", "0:" + "a" * 64, "4:" + "A" * 64, "4:abc", "x:" + "a" * 64]
)
def test_a_malformed_anchor_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="SEQ:HASH"):
        Anchor.parse(text)


def test_an_anchor_reads_what_it_prints() -> None:
    anchor = Anchor(12, "ab" * 32)
    assert Anchor.parse(str(anchor)) == anchor
