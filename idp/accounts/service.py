"""Accounts: creation and the credential checks behind the sign-in pages.

Callers learn only whether a check passed; the precise reason is returned separately for logs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select, update

from idp import clock
from idp.accounts.passkeys import has_passkeys
from idp.authn import hashing, throttle, totp
from idp.authn import password as passwords
from idp.authn.password_policy import PersonalData
from idp.authn.throttle import Factor, Lockout
from idp.extensions import db
from idp.keys.sealing import seal, unseal
from idp.models import Account, Citizen
from idp.population.registry import find_by_citizen_id


class AccountError(Exception):
    """An account cannot be created as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: Account
    totp_secret: str | None


def seal_totp_secret(account_id: int, secret: str) -> bytes:
    """``secret`` sealed with the key-encryption key, bound to this account (a pending secret
    too: confirming it moves the sealed value as it is)."""
    return seal(
        secret.encode(),
        context=f"totp:{account_id}",
        key_encryption_key=current_app.config["KEY_ENCRYPTION_KEY"],
    )


def open_totp_secret(account_id: int, sealed: bytes) -> str:
    return unseal(
        sealed,
        context=f"totp:{account_id}",
        key_encryption_key=current_app.config["KEY_ENCRYPTION_KEY"],
    ).decode()


def create_account(
    citizen_id: str, password: str, *, identity_level: int = 1, with_totp: bool = False
) -> NewAccount:
    citizen = find_by_citizen_id(citizen_id)
    if citizen is None:
        raise AccountError("no citizen with this number is in the registry")
    if db.session.scalar(select(Account.id).where(Account.citizen_pk == citizen.id)):
        raise AccountError("this citizen already has an account")
    if identity_level not in (1, 2):
        raise AccountError("the identity level must be 1 or 2")
    with hashing.slot():
        password_hash = passwords.hash_password(password)
    account = Account(
        citizen_pk=citizen.id,
        subject_key=secrets.token_urlsafe(32),
        password_hash=password_hash,
        identity_level=identity_level,
        created_at=clock.now(),
    )
    db.session.add(account)
    db.session.commit()
    secret = totp.new_secret() if with_totp else None
    if secret:
        enrol_totp(account, secret)
    return NewAccount(account, secret)


def personal_data(citizen: Citizen) -> PersonalData:
    """What the citizen's new password must not contain, from their registry record."""
    return PersonalData(
        citizen_id=citizen.citizen_id,
        birth_date=citizen.birth_date,
        full_name=citizen.full_name,
        names=(citizen.family_name, citizen.given_name),
    )


def enrol_totp(account: Account, secret: str) -> None:
    """Store ``secret`` sealed with the key-encryption key, bound to this account."""
    account.totp_secret_sealed = seal_totp_secret(account.id, secret)
    account.totp_last_step = None
    db.session.commit()


def has_second_factor(account: Account) -> bool:
    """TOTP or a passkey that is not suspended."""
    return account.totp_secret_sealed is not None or has_passkeys(account.id)


def has_totp(account: Account) -> bool:
    """Whether the account has an authenticator app for one-time codes."""
    return account.totp_secret_sealed is not None


def totp_secret(account: Account) -> str | None:
    if account.totp_secret_sealed is None:
        return None
    return open_totp_secret(account.id, account.totp_secret_sealed)


def totp_uri(account: Account, secret: str) -> str:
    return totp.provisioning_uri(secret, account.citizen.citizen_id)


@dataclass(frozen=True, slots=True)
class SignInCheck:
    account: Account | None
    reason: str  # for the log: ok | locked_out | unknown_account | bad_password | …
    lockout: Lockout | None = None  # refused until then, or a lock-out this failure started


def check_password(citizen_id: str, password: str, *, address: str | None) -> SignInCheck:
    """Verify a citizen-ID number and password, throttled per number (typed, so unknown numbers
    count like known ones) and per client ``address``. Unknown numbers, and accounts without
    a password (not activated, or reset), cost a full hash too and fail the same way."""
    key = throttle.key_for_citizen_id(citizen_id)
    # As warehouse's check_password: the lock-out is checked before any hashing.
    if lockout := throttle.check(Factor.PASSWORD, key):
        return SignInCheck(None, "locked_out", lockout)
    account = db.session.scalar(
        select(Account).join(Citizen).where(Citizen.citizen_id == citizen_id)
    )
    # Beyond the hashing queue this raises HashingBusy, before any failure is counted.
    with hashing.slot():
        result = passwords.verify_password(account.password_hash if account else None, password)
    if account is None or account.password_hash is None or not result.ok:
        lockout = throttle.failed(Factor.PASSWORD, key, address=address)
        reason = (
            "unknown_account"
            if account is None
            else "no_password"
            if account.password_hash is None
            else "bad_password"
        )
        return SignInCheck(None, reason, lockout)
    throttle.succeeded(Factor.PASSWORD, key)
    if result.needs_rehash:
        try:
            with hashing.slot():
                account.password_hash = passwords.hash_password(password)
        except hashing.HashingBusy:
            pass  # the upgrade waits for a later sign-in; this one has succeeded
        else:
            db.session.commit()
    return SignInCheck(account, "ok")


def check_totp(account: Account, code: str, *, address: str | None) -> SignInCheck:
    """Verify a one-time code and consume its time step atomically, so a replay of the same
    code (even a concurrent one) is refused. Throttled like :func:`check_password`."""
    key = throttle.key_for_citizen_id(account.citizen.citizen_id)
    if lockout := throttle.check(Factor.OTP, key):
        return SignInCheck(None, "locked_out", lockout)
    reason = _consume_totp(account, code)
    if reason != "ok":
        return SignInCheck(None, reason, throttle.failed(Factor.OTP, key, address=address))
    throttle.succeeded(Factor.OTP, key)
    return SignInCheck(account, "ok")


def _consume_totp(account: Account, code: str) -> str:
    secret = totp_secret(account)
    if secret is None:
        return "no_totp"
    result = totp.verify_code(secret, code, at=clock.now(), last_step=account.totp_last_step)
    if not result.ok or result.step is None:
        return "replayed_code" if result.replayed else "bad_code"
    consumed = db.session.execute(
        update(Account)
        .where(
            Account.id == account.id,
            or_(Account.totp_last_step.is_(None), Account.totp_last_step < result.step),
        )
        .values(totp_last_step=result.step)
    )
    db.session.commit()
    if consumed.rowcount != 1:  # type: ignore[attr-defined]
        return "replayed_code"
    return "ok"
