"""Test data builders: one call makes a valid thing; keyword arguments break or vary it."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from idp import clock
from idp.accounts.service import create_account
from idp.consent.purposes import NO_DATA, Purpose
from idp.extensions import db
from idp.models import Citizen, HealthInsurance
from idp.oidc.clients import register_client

PASSWORD = "correct horse battery staple"
REDIRECT_URI = "http://127.0.0.1:5001/callback"


def make_citizen(citizen_id: str = "087084000999", **overrides: Any) -> Citizen:
    values: dict[str, Any] = {
        "citizen_id": citizen_id,
        "family_name": "Nguyễn",
        "middle_name": "Văn",
        "given_name": "An",
        "birth_date": date(1984, 3, 2),
        "gender": "male",
        "nationality": "VN",
        "place_of_origin": "Cao Lãnh, Đồng Tháp",
        "street_address": "12 Lý Thường Kiệt",
        "locality": "Hoàn Kiếm",
        "region": "Hà Nội",
        "country": "VN",
        "phone": "+84912345678",
        "email": "an.nguyen@example.vn",
        "updated_at": clock.now(),
    }
    values.update(overrides)
    citizen = Citizen(**values)
    citizen.health_insurance = HealthInsurance(
        number="DN4010123456789",
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        registered_facility="Bệnh viện Bạch Mai",
    )
    db.session.add(citizen)
    db.session.commit()
    return citizen


@dataclass
class Portal:
    client_id: str
    client_secret: str | None
    redirect_uri: str


def purposes_for(scope: str) -> dict[str, Purpose]:
    """A declared purpose for every scope of ``scope`` that releases data."""
    return {s: Purpose(f"Thử nghiệm {s}") for s in scope.split() if s not in NO_DATA}


def make_portal(
    scope: str = "openid profile citizen_id health_insurance",
    auth_method: str = "client_secret_basic",
    redirect_uri: str = REDIRECT_URI,
    **options: Any,
) -> Portal:
    options.setdefault("purposes", purposes_for(scope))
    registration = register_client(
        name="Cổng dịch vụ công thử nghiệm",
        redirect_uris=[redirect_uri],
        scope=scope,
        auth_method=auth_method,
        **options,
    )
    return Portal(registration.client.client_id, registration.client_secret, redirect_uri)


def make_account(citizen_id: str = "087084000999", *, with_totp: bool = True) -> str | None:
    """Create an account; return its TOTP secret (or None)."""
    return create_account(citizen_id, PASSWORD, with_totp=with_totp).totp_secret


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()
