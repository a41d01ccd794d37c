"""What the lab shows of what it sent and received: codes, tokens and secrets cut to their first
six characters and "…", passwords and one-time codes not at all.

Values are masked three ways, so that one missed path does not leak: by the parameter or JSON
member that carries them (``code``, ``access_token``, …), by value (every secret the run has
seen is registered, and masked wherever it shows up, in a page or a header), and by shape (any
JWT).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus

KEPT = 6
HIDDEN = "•••"

#: Parameters and JSON members whose values are credentials: shown as their first six characters.
SECRET_NAMES = frozenset(
    {
        "code",
        "access_token",
        "refresh_token",
        "id_token",
        "id_token_hint",
        "client_secret",
        "client_assertion",
        "code_verifier",
        "token",
        "logout_token",
        "csrf_token",
    }
)
#: What a person types: never shown, not even in part.
HIDDEN_NAMES = frozenset({"password", "otp"})

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_SCHEMES = ("Basic ", "Bearer ", "DPoP ")
# Shorter values would mask ordinary words and numbers in a page.
_MIN_REGISTERED = 8


def cut(value: str) -> str:
    """The first six characters and an ellipsis (an ellipsis alone for a shorter value)."""
    return f"{value[:KEPT]}…" if len(value) > KEPT else "…"


class Masker:
    """Masks text with what it was told is secret; one per run, fed as secrets appear."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._hidden: set[str] = set()

    def secret(self, *values: str | None) -> None:
        """Register values to show as their first six characters."""
        self._secrets.update(v for v in values if v and len(v) >= _MIN_REGISTERED)

    def hide(self, *values: str | None) -> None:
        """Register values never to show (passwords)."""
        self._hidden.update(v for v in values if v and len(v) >= _MIN_REGISTERED)

    def text(self, text: str) -> str:
        for value in sorted(self._hidden, key=len, reverse=True):
            text = text.replace(value, HIDDEN)
        for value in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(value, cut(value))
        return _JWT.sub(lambda match: cut(match.group()), text)

    def value(self, name: str, value: str) -> str:
        if name in HIDDEN_NAMES:
            return HIDDEN
        if name in SECRET_NAMES:
            return cut(value)
        return self.text(value)

    def fields(self, fields: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
        items = fields.items() if isinstance(fields, Mapping) else fields
        return {name: self.value(name, value) for name, value in items}

    def url(self, url: str) -> str:
        """The URL with secret parameters of its query and fragment masked."""
        base, hash_mark, fragment = url.partition("#")
        path, question_mark, query = base.partition("?")
        masked = self.text(path)
        if question_mark:
            masked += "?" + self._query(query)
        if hash_mark:
            masked += "#" + self._query(fragment)
        return masked

    def _query(self, query: str) -> str:
        parts = []
        for pair in query.split("&"):
            name, equals, value = pair.partition("=")
            decoded = unquote_plus(name)
            if equals and decoded in HIDDEN_NAMES:
                parts.append(f"{name}={HIDDEN}")
            elif equals and decoded in SECRET_NAMES:
                parts.append(f"{name}={cut(unquote_plus(value))}")
            else:
                parts.append(self.text(pair))
        return "&".join(parts)

    def header(self, name: str, value: str) -> str:
        if name.lower() in ("authorization", "proxy-authorization"):
            for scheme in _SCHEMES:
                if value.startswith(scheme):
                    return scheme + cut(value[len(scheme) :])
            return cut(value)
        if name.lower() == "location":
            return self.url(value)
        return self.text(value)

    def json(self, document: Any) -> str:
        return self.text(json.dumps(self._json(document), ensure_ascii=False))

    def _json(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: (
                    self.value(key, value)
                    if isinstance(value, str) and key in SECRET_NAMES | HIDDEN_NAMES
                    else self._json(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [self._json(item) for item in node]
        return node
