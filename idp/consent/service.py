"""Consent records: what a citizen has allowed a portal to receive."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from idp import clock
from idp.extensions import db
from idp.models import Consent


def granted_scopes(account_id: int, client_id: str) -> frozenset[str]:
    consent = db.session.scalar(
        select(Consent).where(Consent.account_id == account_id, Consent.client_id == client_id)
    )
    return frozenset(consent.scopes) if consent else frozenset()


def has_consent(account_id: int, client_id: str, scopes: Iterable[str]) -> bool:
    return set(scopes) <= granted_scopes(account_id, client_id)


def record_consent(account_id: int, client_id: str, scopes: Iterable[str]) -> None:
    """Remember an approval; later requests for the same scopes skip the page."""
    consent = db.session.scalar(
        select(Consent).where(Consent.account_id == account_id, Consent.client_id == client_id)
    )
    if consent is None:
        consent = Consent(account_id=account_id, client_id=client_id, scopes=[])
        db.session.add(consent)
    consent.scopes = sorted(set(consent.scopes) | set(scopes))
    consent.granted_at = clock.now()
    db.session.commit()
