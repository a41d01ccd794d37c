"""Accounts: creation and the credential checks behind the sign-in pages.

Callers learn only whether a check passed; the precise reason is returned separately for logs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select, update

from idp import clock
from idp.authn import password as passwords
from idp.authn import totp
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
    account = Account(
        citizen_pk=citizen.id,
        subject_key=secrets.token_urlsafe(32),
        password_hash=passwords.hash_password(password),
        identity_level=identity_level,
        created_at=clock.now(),
    )
    db.session.add(account)
    db.session.commit()
    secret = totp.new_secret() if with_totp else None
    if secret:
        enrol_totp(account, secret)
    return NewAccount(account, secret)


def enrol_totp(account: Account, secret: str) -> None:
    """Store ``secret`` sealed with the key-encryption key, bound to this account."""
    account.totp_secret_sealed = seal_totp_secret(account.id, secret)
    account.totp_last_step = None
    db.session.commit()


def has_second_factor(account: Account) -> bool:
    return has_totp(account)


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
    reason: str  # for the log: ok | unknown_citizen | no_account | bad_password | …


def check_password(citizen_id: str, password: str) -> SignInCheck:
    """Verify a citizen-ID number and password. Unknown numbers cost a full hash too."""
    account = db.session.scalar(
        select(Account).join(Citizen).where(Citizen.citizen_id == citizen_id)
    )
    result = passwords.verify_password(account.password_hash if account else None, password)
    if account is None:
        return SignInCheck(None, "unknown_account")
    if not result.ok:
        return SignInCheck(None, "bad_password")
    if result.needs_rehash:
        account.password_hash = passwords.hash_password(password)
        db.session.commit()
    return SignInCheck(account, "ok")


def check_totp(account: Account, code: str) -> SignInCheck:
    """Verify a one-time code and consume its time step atomically, so a replay of the same
    code (even a concurrent one) is refused."""
    secret = totp_secret(account)
    if secret is None:
        return SignInCheck(None, "no_totp")
    result = totp.verify_code(secret, code, at=clock.now(), last_step=account.totp_last_step)
    if not result.ok or result.step is None:
        return SignInCheck(None, "replayed_code" if result.replayed else "bad_code")
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
        return SignInCheck(None, "replayed_code")
    return SignInCheck(account, "ok")
