"""Changes to how a citizen signs in: one function per event (a new password, an authenticator
set up or removed, recovery codes issued or used), so that notices to the citizen and audit
records can be added in one place.

The pages decide who may ask (a recent sign-in, ``account_portal/guard``); these functions
check what is asked and make the change.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from idp import clock
from idp.accounts.changes import credential_changed
from idp.accounts.service import open_totp_secret, seal_totp_secret
from idp.accounts.sessions import live_sessions
from idp.authn import hashing, recovery_codes, totp
from idp.authn import password as passwords
from idp.authn.password_policy import PersonalData
from idp.extensions import db
from idp.keys.sealing import derive_key
from idp.models import Account, BrowserSession, RecoveryCode
from idp.oidc.logout import log_out


def personal_data(account: Account) -> PersonalData:
    """What the account's new passwords must not contain (NIST SP 800-63B §5.1.1.2)."""
    citizen = account.citizen
    return PersonalData(
        citizen_id=citizen.citizen_id,
        birth_date=citizen.birth_date,
        full_name=citizen.full_name,
        names=(citizen.family_name, citizen.given_name),
    )


def is_current_password(account: Account, password: str) -> bool:
    with hashing.slot():
        return passwords.verify_password(account.password_hash, password).ok


def new_password_hash(new_password: str) -> str:
    """The hash to store for a new password (the caller has checked it against the policy).
    Beyond the hashing queue it raises ``HashingBusy``: the caller hashes before it changes
    anything, so a refusal leaves everything as it was."""
    with hashing.slot():
        return passwords.hash_password(new_password)


def change_password(account: Account, password_hash: str, *, keep: BrowserSession | None) -> None:
    """Store a new password's hash (from :func:`new_password_hash`) and end every other
    sign-in of the account, revoking its tokens and telling its portals; ``keep`` is the
    session that asked, or None to end them all."""
    account.password_hash = password_hash
    account.password_changed_at = clock.now()
    db.session.commit()
    for session in live_sessions(account.id):
        if keep is None or session.id != keep.id:
            log_out(session)
    credential_changed(account, "password", "changed")


def pending_totp_secret(account: Account) -> str:
    """The secret of the authenticator being set up: the one shown already if the citizen has
    not let it expire, else a new one. It stays sealed in the account row, never in the
    browser, until a first code confirms it."""
    now = clock.now()
    expires_at = account.totp_pending_expires_at
    if account.totp_pending_sealed is not None and expires_at is not None and expires_at > now:
        return open_totp_secret(account.id, account.totp_pending_sealed)
    secret = totp.new_secret()
    lifetime = timedelta(seconds=current_app.config["TOTP_ENROLMENT_LIFETIME"])
    account.totp_pending_sealed = seal_totp_secret(account.id, secret)
    account.totp_pending_expires_at = now + lifetime
    db.session.commit()
    return secret


def confirm_totp(account: Account, code: str) -> list[str] | None:
    """Make the pending authenticator the account's, replacing any earlier one, when ``code``
    is its current code; return the new recovery codes (to be shown once), or None when the
    code is wrong or nothing is pending.

    The confirming code's time step is stored, so it cannot be used again to sign in (RFC 6238
    §5.2), and the pending secret is taken by a conditional UPDATE, so of two confirmations
    only one succeeds."""
    pending, expires_at = account.totp_pending_sealed, account.totp_pending_expires_at
    if pending is None or expires_at is None or expires_at <= clock.now():
        return None
    check = totp.verify_code(
        open_totp_secret(account.id, pending), code, at=clock.now(), last_step=None
    )
    if not check.ok:
        return None
    taken = db.session.execute(
        update(Account)
        .where(Account.id == account.id, Account.totp_pending_sealed == pending)
        .values(
            totp_secret_sealed=pending,
            totp_last_step=check.step,
            totp_pending_sealed=None,
            totp_pending_expires_at=None,
        )
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return None
    codes = _replace_recovery_codes(account)
    db.session.commit()
    credential_changed(account, "totp", "added")
    return codes


def remove_totp(account: Account) -> None:
    """Remove the authenticator and its recovery codes. This is allowed though it leaves the
    account able to reach ``loa1`` only (until a new one is set up): the citizen chose it on
    a fresh sign-in with that very authenticator, and a portal that needs ``loa2`` will say
    so rather than let them in."""
    account.totp_secret_sealed = None
    account.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    db.session.commit()
    credential_changed(account, "totp", "removed")


def regenerate_recovery_codes(account: Account) -> list[str]:
    """A new set of recovery codes, shown once; the earlier ones stop working."""
    codes = _replace_recovery_codes(account)
    db.session.commit()
    credential_changed(account, "recovery_codes", "replaced")
    return codes


def recovery_codes_left(account: Account) -> int:
    return int(
        db.session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def use_recovery_code(account: Account, code: str) -> bool:
    """Consume ``code`` if it is one of the account's unused recovery codes. One conditional
    UPDATE finds and spends it, so a code is accepted once even under concurrency (NIST SP
    800-63B §5.1.2.2: a look-up secret is used successfully only once)."""
    normalised = recovery_codes.normalise(code)
    if normalised is None:
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == _digest(normalised, account.id),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
    )
    db.session.commit()
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        return False
    credential_changed(account, "recovery_code", "used")
    return True


def _digest(code: str, account_id: int) -> str:
    key = derive_key(current_app.config["KEY_ENCRYPTION_KEY"], recovery_codes.KEY_PURPOSE)
    return recovery_codes.digest(code, account_id=account_id, key=key)


def _replace_recovery_codes(account: Account) -> list[str]:
    """Replace the account's recovery codes in the session's transaction (the caller commits);
    return the new ones as the citizen sees them."""
    codes = recovery_codes.new_codes()
    now = clock.now()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    db.session.add_all(
        RecoveryCode(account_id=account.id, code_hash=_digest(code, account.id), created_at=now)
        for code in codes
    )
    return [recovery_codes.formatted(code) for code in codes]
