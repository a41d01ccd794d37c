"""Consent records: what a citizen has allowed a portal to receive, for which purposes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from idp import clock
from idp.extensions import db
from idp.models import Client, Consent


def find_consent(account_id: int, client_id: str) -> Consent | None:
    return db.session.scalar(
        select(Consent).where(Consent.account_id == account_id, Consent.client_id == client_id)
    )


def granted_scopes(account_id: int, client_id: str) -> frozenset[str]:
    consent = find_consent(account_id, client_id)
    return frozenset(consent.scopes) if consent else frozenset()


def has_consent(account_id: int, client_id: str, scopes: Iterable[str]) -> bool:
    return set(scopes) <= granted_scopes(account_id, client_id)


def record_consent(
    account_id: int, client: Client, asked: Iterable[str], chosen: Iterable[str]
) -> list[str]:
    """Remember the citizen's answer on the consent page: of the ``asked`` scopes, ``chosen``
    are granted and the rest are not; scopes granted before and not asked now stay granted.
    Returns the scopes now granted. Each keeps the purpose the page showed."""
    now = clock.now()
    consent = find_consent(account_id, client.client_id)
    if consent is None:
        consent = Consent(account_id=account_id, client_id=client.client_id, scopes=[], purposes={})
        db.session.add(consent)
    if consent.revoked_at is not None or not consent.scopes:
        consent.granted_at = now
        consent.revoked_at = None
    scopes = sorted((set(consent.scopes) - set(asked)) | set(chosen))
    consent.scopes = scopes
    consent.purposes = {s: client.purposes[s] for s in scopes if s in client.purposes}
    consent.updated_at = now
    db.session.commit()
    return scopes


def revoke_consent(account_id: int, client_id: str) -> list[str] | None:
    """Withdraw everything the citizen allowed the portal (Decree 13/2023/ND-CP Art. 12: as
    easy as giving it); return the scopes withdrawn, None when there was nothing to withdraw.
    The caller revokes the tokens issued under it (``oidc.tokens.revoke_account_tokens``)."""
    consent = find_consent(account_id, client_id)
    if consent is None or consent.revoked_at is not None:
        return None
    withdrawn = list(consent.scopes)
    consent.scopes, consent.purposes = [], {}
    consent.revoked_at = consent.updated_at = clock.now()
    db.session.commit()
    return withdrawn


def consents_of(account_id: int) -> list[Consent]:
    """The citizen's standing consents, most recently changed first."""
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.account_id == account_id, Consent.revoked_at.is_(None))
            .order_by(Consent.updated_at.desc())
        )
    )
