"""The OAuth 2.0 and OpenID Connect values a scenario builds and reads: an authorization request
(with its PKCE verifier), the redirect that answers it, a token endpoint's answer, and the parts
of a JWT."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from relying_party_demo.lab.config import LabClient


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier)))."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """An authorization request the lab made, with what it must remember to redeem the code."""

    client: LabClient
    params: dict[str, str]
    code_verifier: str | None

    @property
    def state(self) -> str | None:
        return self.params.get("state")

    @property
    def nonce(self) -> str | None:
        return self.params.get("nonce")

    @property
    def redirect_uri(self) -> str:
        return self.params.get("redirect_uri", self.client.redirect_uri)

    def url(self, endpoint: str) -> str:
        separator = "&" if urlsplit(endpoint).query else "?"
        return f"{endpoint}{separator}{urlencode(self.params)}"


@dataclass(frozen=True, slots=True)
class Callback:
    """A redirect out of the provider, read as an authorization response."""

    location: str
    params: dict[str, str]
    fragment: dict[str, str]

    @property
    def target(self) -> str:
        """Where it goes, without its query: compared with a registered ``redirect_uri``."""
        return without_query(self.location)

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    def describe(self) -> str:
        if self.code:
            return "a redirect with a code"
        if self.error:
            return f"a redirect with error={self.error}"
        return "a redirect with neither code nor error"


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    response: requests.Response
    body: dict[str, Any]

    @property
    def status(self) -> int:
        return self.response.status_code

    def _string(self, name: str) -> str | None:
        value = self.body.get(name)
        return value if isinstance(value, str) and value else None

    @property
    def access_token(self) -> str | None:
        return self._string("access_token")

    @property
    def refresh_token(self) -> str | None:
        return self._string("refresh_token")

    @property
    def id_token(self) -> str | None:
        return self._string("id_token")

    @property
    def error(self) -> str | None:
        return self._string("error")

    @property
    def issued_tokens(self) -> bool:
        return bool(self.access_token or self.id_token or self.refresh_token)

    @property
    def refused(self) -> bool:
        """RFC 6749 §5.2: an error response is HTTP 400 (401 for client authentication)."""
        return self.status in (400, 401) and not self.issued_tokens

    def describe(self) -> str:
        if self.error:
            return f"HTTP {self.status} error={self.error}"
        issued = [n for n in ("access_token", "id_token", "refresh_token") if self._string(n)]
        if issued:
            return f"HTTP {self.status} with {', '.join(issued)}"
        return f"HTTP {self.status}"


def json_part(token: str, index: int) -> dict[str, Any]:
    """The header (0) or payload (1) of a compact JWS, or ``{}`` when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        decoded = json.loads(
            base64.urlsafe_b64decode(parts[index] + "=" * (-len(parts[index]) % 4))
        )
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}
