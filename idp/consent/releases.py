"""Every release of a citizen's data to a portal: written to the audit ledger with the names of
the claims and the purposes they were released for, and told to the citizen when it is news.

A notice goes out when a portal receives data of a scope it never received before, and when it
receives data of a sensitive scope (identity number, insurance, vaccination), at most once a day
per portal for those, so a portal that calls userinfo often does not flood the citizen. Each
notice links to the access history in the account pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import current_app

from idp import clock
from idp.audit.events import Event
from idp.audit.ledger import Detail, record
from idp.consent.catalogue import SCOPES
from idp.consent.purposes import NO_DATA, read_purposes
from idp.consent.service import find_consent
from idp.extensions import db
from idp.models import Account, Client
from idp.notify.messages import Notice
from idp.notify.notifier import notify

#: Scopes whose every release is worth telling (Decree 13/2023/ND-CP Art. 2: sensitive data).
SENSITIVE = frozenset({"citizen_id", "health_insurance", "social_insurance", "vaccination"})
SENSITIVE_NOTICE_INTERVAL = timedelta(days=1)


def record_release(
    event: Event,
    *,
    account: Account,
    client: Client,
    claims: Iterable[str],
    scopes: list[str],
    **references: Detail,
) -> None:
    """Record that ``client`` received ``claims`` (names) under ``scopes``, with ``references``
    to the token that carried them; tell the citizen when it is news."""
    claims = list(claims)
    purposes = read_purposes(client.purposes)
    record(
        event,
        account_id=account.id,
        client_id=client.client_id,
        details={
            "claims": sorted(claims),
            "scopes": scopes,
            "purposes": [f"{s}: {purposes[s].text}" for s in scopes if s in purposes],
            **references,
        },
    )
    carried = set(claims)
    released = [
        s for s in scopes if s in SCOPES and s not in NO_DATA and carried & set(SCOPES[s].claims)
    ]
    _notify_if_news(account, client, released)


def _notify_if_news(account: Account, client: Client, scopes: list[str]) -> None:
    consent = find_consent(account.id, client.client_id)
    if consent is None or not scopes:
        return
    now = clock.now()
    first_time = [s for s in scopes if s not in consent.notified_scopes]
    last = consent.sensitive_notified_at
    sensitive_due = bool(SENSITIVE & set(scopes)) and (
        last is None or now - last >= SENSITIVE_NOTICE_INTERVAL
    )
    if not first_time and not sensitive_due:
        return
    consent.notified_scopes = sorted({*consent.notified_scopes, *scopes})
    if sensitive_due:
        consent.sensitive_notified_at = now
    db.session.commit()
    notify(
        account.citizen,
        Notice.DATA_RELEASED,
        language=account.language,
        portal=client.name,
        items=", ".join(SCOPES[s].description[account.language] for s in scopes),
        url=f"{current_app.config['ISSUER']}/account/history",
    )
