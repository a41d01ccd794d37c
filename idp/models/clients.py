"""Registered portals (OAuth 2.0 clients)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.models.base import Base


class Client(Base):
    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the secret: secrets are 256-bit random, so a fast hash is enough and the
    # database never holds a usable credential.
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    scope: Mapped[str] = mapped_column(String(1000))
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(40))
    # The public keys of a private_key_jwt client (RFC 7523 §3), inline or by URL; never both
    # (OIDC Registration §2).
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    jwks_uri: Mapped[str | None] = mapped_column(String(500))
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    sector: Mapped[str] = mapped_column(String(255))
    subject_type: Mapped[str] = mapped_column(String(10))  # pairwise | public
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(10), default="ES256")
    # RFC 9700 §2.1.1: PKCE is required unless a confidential client opts out, and then it
    # must send a nonce instead.
    require_pkce: Mapped[bool] = mapped_column(default=True)
    # Who runs the portal, and why it may receive each scope (consent/purposes.py):
    # {scope: {"purpose": text, "legal_basis": code}}; essential scopes cannot be unticked.
    organisation: Mapped[str] = mapped_column(String(200), default="")
    purposes: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    essential_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    # The portal's logo (oidc/logos.py), served by the provider itself; deferred, since a
    # sign-in loads the client but only the logo route needs the picture.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20))  # image/png | image/svg+xml
