"""A change to how a citizen signs in is recorded in the audit ledger and told to the citizen
at their registry contact, so that a change they did not make does not go unnoticed (NIST SP
800-63B §6.1.2.3: notify the subscriber of changes to their authenticators)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from idp.audit.events import Event
from idp.audit.ledger import record
from idp.models import Account
from idp.notify.messages import Notice
from idp.notify.notifier import notify

#: (credential, action) → how the notice says it.
CHANGES = {
    ("password", "changed"): _l("your password was changed"),
    ("totp", "added"): _l("an authenticator app was set up"),
    ("totp", "removed"): _l("your authenticator app was removed"),
    ("recovery_codes", "replaced"): _l("new recovery codes were made; the old ones no longer work"),
    ("recovery_code", "used"): _l("a recovery code was used to sign in"),
    ("passkey", "added"): _l("a passkey was added"),
    ("passkey", "removed"): _l("a passkey was removed"),
    ("passkey", "suspended"): _l(
        "a passkey was suspended because its signature counter went backwards, a sign that it "
        "may have been copied"
    ),
}


def credential_changed(account: Account, credential: str, action: str) -> None:
    record(
        Event.CREDENTIAL_CHANGED,
        account_id=account.id,
        details={"credential": credential, "action": action},
    )
    notify(
        account.citizen,
        Notice.CREDENTIAL_CHANGED,
        change=CHANGES[credential, action],
        url=f"{current_app.config['ISSUER']}/account",
    )
