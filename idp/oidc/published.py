"""Documents published to everyone (discovery, JWKS), serialised once per content and served
cacheable and conditional.

Each document is identified by a cheap ``key`` that determines its content (the issuer for
discovery, the published ``kid``s for the JWKS): the body is serialised and hashed only when the
key changes. Responses carry ``Cache-Control: public, max-age`` (RFC 9111 §5.2.2.1) and a strong
``ETag``, the SHA-256 of the body, equal on every worker and host for equal content (RFC 9110
§8.8.3). A GET whose ``If-None-Match`` matches is answered 304 without a body (RFC 9110 §13.1.2).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import Response, request

MAX_AGE = 300
"""Seconds portals and proxies may reuse discovery and the JWKS without asking again."""


@dataclass(frozen=True, slots=True)
class Serialised:
    key: Hashable
    body: bytes
    etag: str


_latest: dict[str, Serialised] = {}


def serialised(name: str, key: Hashable, build: Callable[[], Any]) -> Serialised:
    """Document ``name`` for ``key``; ``build`` runs only when the key differs from the last."""
    latest = _latest.get(name)
    if latest is None or latest.key != key:
        body = json.dumps(build()).encode()
        latest = Serialised(key, body, hashlib.sha256(body).hexdigest())
        _latest[name] = latest
    return latest


def public_response(document: Serialised) -> Response:
    # RFC 9110 §13.1.2: If-None-Match compares weakly; "*" matches any current representation.
    if request.if_none_match.contains_weak(document.etag):
        # RFC 9110 §15.4.5: a 304 carries the Cache-Control and ETag a 200 would have.
        response = Response(status=304)
    else:
        response = Response(document.body, mimetype="application/json")
    response.set_etag(document.etag)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
