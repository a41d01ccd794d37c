"""Subject identifiers (OIDC Core §8). Never the citizen-ID number.

pairwise: ``sub = base64url(HMAC-SHA-256(salt, sector_identifier || 0x00 || subject_key))``
(§8.1), so portals of different sectors cannot join their records; public: the account's own
random subject key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from idp.models import Account, Client


def subject_for(account: Account, client: Client, *, salt: str) -> str:
    if client.subject_type == "public":
        return account.subject_key
    mac = hmac.new(
        salt.encode(),
        client.sector.encode() + b"\x00" + account.subject_key.encode(),
        hashlib.sha256,
    )
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
