"""How claim values are shown on the portal's pages: plain functions, used as template filters."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from relying_party_demo.messages import CLAIM_LABELS, TIME_CLAIMS, Message


def format_birthdate(value: object) -> str:
    """``YYYY-MM-DD`` (OpenID Connect Core §5.1) as Vietnamese write it, ``DD/MM/YYYY``.

    Anything that is not a full date (a year alone, or ``0000`` for a withheld year) is shown as it
    came.
    """
    if not isinstance(value, str):
        return "" if value is None else str(value)
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return value


def format_date(value: object) -> str:
    """A ``YYYY-MM-DD`` date in a claim (a licence's expiry, a dose's date) as ``DD/MM/YYYY``."""
    return format_birthdate(value)


def format_json(value: Any) -> str:
    """A decoded token part or a UserInfo response, as indented JSON."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def format_claim_value(name: str, value: Any) -> str:
    """A claim as text: scalars as they are, objects and arrays as indented JSON, and the UTC time
    beside a NumericDate."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if name in TIME_CLAIMS and isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, tz=UTC)
        return f"{value} ({moment:%Y-%m-%d %H:%M:%S} UTC)"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
    return str(value)


def is_structured(value: Any) -> bool:
    return isinstance(value, dict | list)


def claim_label(name: str) -> Message | None:
    return CLAIM_LABELS.get(name)
