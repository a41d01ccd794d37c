"""Passkeys of accounts: registering one, the list a citizen manages, and signing in with one.

A ceremony's challenge is a row (``WebAuthnChallenge``), so any worker can finish what another
began. It is bound to the browser, the purpose and the authorization (or account) it was made
for, and consumed by one conditional DELETE before the response is verified, so a replayed or
concurrent response finds nothing, whether or not the first one was valid.

Callers learn only that a passkey failed; ``PasskeyError.reason`` says why, for the log.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from idp import clock
from idp.accounts.changes import credential_changed
from idp.authn import webauthn
from idp.authn.totp import ISSUER_NAME
from idp.extensions import db
from idp.models import Account, ChallengePurpose, Passkey, WebAuthnChallenge

NAME_MAX_LENGTH = 64
USER_HANDLE_BYTES = 32


class PasskeyError(Exception):
    """A passkey could not be registered, changed or used. ``reason`` names why, for the log:
    bad_name, unknown_passkey, unknown_challenge, rejected, duplicate_credential,
    unknown_credential, wrong_user_handle, suspended, counter_regressed, stale_counter."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PasskeySignIn:
    """A verified passkey sign-in: whose it is and what the authenticator did."""

    account: Account
    user_verified: bool
    backup_eligible: bool  # a synced (multi-device) credential rather than a device-bound one


def _relying_party() -> webauthn.RelyingParty:
    return webauthn.relying_party(current_app.config["ISSUER"], ISSUER_NAME)


def _lifetime() -> int:
    return int(current_app.config["WEBAUTHN_CHALLENGE_LIFETIME"])


def _digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _issue_challenge(
    purpose: ChallengePurpose,
    *,
    binding: str,
    user_verification: webauthn.UserVerification,
    transaction_id: str | None = None,
    account_id: int | None = None,
) -> bytes:
    challenge = webauthn.new_challenge()
    db.session.add(
        WebAuthnChallenge(
            id=_digest(challenge),
            purpose=purpose,
            browser_binding=binding,
            transaction_id=transaction_id,
            account_id=account_id,
            user_verification=user_verification,
            expires_at=clock.now() + timedelta(seconds=_lifetime()),
        )
    )
    db.session.commit()
    return challenge


def _consume_challenge(
    challenge: bytes,
    purpose: ChallengePurpose,
    *,
    binding: str,
    transaction_id: str | None = None,
    account_id: int | None = None,
) -> webauthn.UserVerification:
    """Use up a challenge we issued to this browser for this purpose, unexpired (WebAuthn L3
    §13.4.3); return the user verification its options asked for."""
    now = clock.now()
    row = db.session.get(WebAuthnChallenge, _digest(challenge))
    if (
        row is None
        or row.purpose is not purpose
        or not secrets.compare_digest(row.browser_binding, binding)
        or row.transaction_id != transaction_id
        or row.account_id != account_id
        or row.expires_at <= now
    ):
        raise PasskeyError("unknown_challenge")
    user_verification: webauthn.UserVerification = (
        "required" if row.user_verification == "required" else "preferred"
    )
    consumed = db.session.execute(
        delete(WebAuthnChallenge).where(
            WebAuthnChallenge.id == row.id, WebAuthnChallenge.expires_at > now
        )
    )
    db.session.commit()
    if consumed.rowcount != 1:  # type: ignore[attr-defined]
        raise PasskeyError("unknown_challenge")  # another request used it first
    return user_verification


def check_name(name: str) -> str:
    """A passkey's name as the citizen typed it: NFKC, trimmed, 1–64 printable characters."""
    name = unicodedata.normalize("NFKC", name).strip()
    if not 1 <= len(name) <= NAME_MAX_LENGTH or any(
        unicodedata.category(c).startswith("C") for c in name
    ):
        raise PasskeyError("bad_name")
    return name


def _refs(passkeys: list[Passkey]) -> list[webauthn.CredentialRef]:
    return [webauthn.CredentialRef(p.credential_id, tuple(p.transports)) for p in passkeys]


def list_passkeys(account_id: int) -> list[Passkey]:
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.account_id == account_id).order_by(Passkey.id)
        )
    )


def has_passkeys(account_id: int) -> bool:
    """Whether the account has a passkey that can sign in (not suspended)."""
    return (
        db.session.scalar(
            select(Passkey.id)
            .where(Passkey.account_id == account_id, Passkey.suspended_at.is_(None))
            .limit(1)
        )
        is not None
    )


def _user_handle(account: Account) -> bytes:
    if account.passkey_user_handle is None:
        db.session.execute(
            update(Account)
            .where(Account.id == account.id, Account.passkey_user_handle.is_(None))
            .values(passkey_user_handle=secrets.token_bytes(USER_HANDLE_BYTES))
        )
        db.session.commit()
        db.session.refresh(account)
    assert account.passkey_user_handle is not None
    return account.passkey_user_handle


def registration_options(account: Account, *, binding: str) -> dict[str, Any]:
    """Options for ``navigator.credentials.create()``, for a signed-in citizen."""
    challenge = _issue_challenge(
        ChallengePurpose.REGISTER,
        binding=binding,
        account_id=account.id,
        user_verification="required",
    )
    return webauthn.registration_options(
        _relying_party(),
        user_handle=_user_handle(account),
        # What the citizen's passkey manager shows: their number and name, on their device.
        user_name=account.citizen.citizen_id,
        display_name=account.citizen.full_name,
        challenge=challenge,
        exclude=_refs(list_passkeys(account.id)),
        timeout_ms=_lifetime() * 1000,
    )


def register_passkey(
    account: Account, response: Mapping[str, Any], *, name: str, binding: str
) -> Passkey:
    """Verify a registration response (WebAuthn L3 §7.1) and store the passkey as ``name``."""
    name = check_name(name)
    try:
        challenge = webauthn.claimed_challenge(response)
    except webauthn.WebAuthnError as error:
        raise PasskeyError("rejected", str(error)) from None
    _consume_challenge(challenge, ChallengePurpose.REGISTER, binding=binding, account_id=account.id)
    try:
        new = webauthn.verify_registration(_relying_party(), response=response, challenge=challenge)
    except webauthn.WebAuthnError as error:
        raise PasskeyError("rejected", str(error)) from None
    passkey = Passkey(
        account_id=account.id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        name=name,
        transports=list(new.transports),
        backup_eligible=new.backup_eligible,
        backed_up=new.backed_up,
        created_at=clock.now(),
    )
    db.session.add(passkey)
    try:
        db.session.commit()
    except IntegrityError:
        # §7.1: a credential ID already registered, to this account or another, is refused.
        db.session.rollback()
        raise PasskeyError("duplicate_credential") from None
    credential_changed(account, "passkey", "added")
    return passkey


def rename_passkey(account_id: int, passkey_id: int, name: str) -> None:
    name = check_name(name)
    renamed = db.session.execute(
        update(Passkey)
        .where(Passkey.id == passkey_id, Passkey.account_id == account_id)
        .values(name=name)
    )
    db.session.commit()
    if renamed.rowcount != 1:  # type: ignore[attr-defined]
        raise PasskeyError("unknown_passkey")


def remove_passkey(account: Account, passkey_id: int) -> None:
    removed = db.session.execute(
        delete(Passkey).where(Passkey.id == passkey_id, Passkey.account_id == account.id)
    )
    db.session.commit()
    if removed.rowcount != 1:  # type: ignore[attr-defined]
        raise PasskeyError("unknown_passkey")
    credential_changed(account, "passkey", "removed")


def sign_in_options(
    *,
    binding: str,
    transaction_id: str,
    account: Account | None = None,
    require_user_verification: bool = False,
) -> dict[str, Any]:
    """Options for ``navigator.credentials.get()`` during an authorization. Without
    ``account`` the passkey is the only factor: any discoverable credential, user
    verification required. With it, the passkey follows the password: that account's passkeys,
    user verification preferred unless required."""
    user_verification: webauthn.UserVerification = (
        "required" if account is None or require_user_verification else "preferred"
    )
    challenge = _issue_challenge(
        ChallengePurpose.SIGN_IN if account is None else ChallengePurpose.SECOND_FACTOR,
        binding=binding,
        user_verification=user_verification,
        transaction_id=transaction_id,
        account_id=account.id if account else None,
    )
    allow = [] if account is None else list_passkeys(account.id)
    return webauthn.authentication_options(
        _relying_party(),
        challenge=challenge,
        user_verification=user_verification,
        allow=_refs([p for p in allow if p.suspended_at is None]),
        timeout_ms=_lifetime() * 1000,
    )


def _suspend(passkey: Passkey) -> None:
    suspended = db.session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id, Passkey.suspended_at.is_(None))
        .values(suspended_at=clock.now())
    )
    db.session.commit()
    account = db.session.get(Account, passkey.account_id)
    if suspended.rowcount == 1 and account is not None:  # type: ignore[attr-defined]
        credential_changed(account, "passkey", "suspended")


def authenticate(
    response: Mapping[str, Any],
    *,
    binding: str,
    transaction_id: str,
    account: Account | None = None,
) -> PasskeySignIn:
    """Verify an assertion (WebAuthn L3 §7.2) made with ``sign_in_options`` for the same
    browser, authorization and ``account``; record the use. A counter that went backwards
    suspends the passkey."""
    try:
        claimed = webauthn.claimed_assertion(response)
    except webauthn.WebAuthnError as error:
        raise PasskeyError("rejected", str(error)) from None
    purpose = ChallengePurpose.SIGN_IN if account is None else ChallengePurpose.SECOND_FACTOR
    user_verification = _consume_challenge(
        claimed.challenge,
        purpose,
        binding=binding,
        transaction_id=transaction_id,
        account_id=account.id if account else None,
    )
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.credential_id == claimed.credential_id)
    )
    # §7.2: after a password, the credential must be one of that account's.
    if passkey is None or (account is not None and passkey.account_id != account.id):
        raise PasskeyError("unknown_credential")
    owner = db.session.get(Account, passkey.account_id)
    assert owner is not None
    # §7.2: the user handle, when given, must be the owner's; with no account identified
    # beforehand it must be given.
    if claimed.user_handle is None:
        if account is None:
            raise PasskeyError("wrong_user_handle", "missing")
    elif owner.passkey_user_handle is None or not secrets.compare_digest(
        claimed.user_handle, owner.passkey_user_handle
    ):
        raise PasskeyError("wrong_user_handle")
    try:
        verified = webauthn.verify_authentication(
            _relying_party(),
            response=response,
            challenge=claimed.challenge,
            public_key=passkey.public_key,
            sign_count=passkey.sign_count,
            user_verification=user_verification,
        )
    except webauthn.SignCountRegressedError as error:
        _suspend(passkey)
        raise PasskeyError("counter_regressed", str(error)) from None
    except webauthn.WebAuthnError as error:
        raise PasskeyError("rejected", str(error)) from None
    # Told only to whoever holds the passkey: the signature is good.
    if passkey.suspended_at is not None:
        raise PasskeyError("suspended")
    # The counter moves only forward, also against a concurrent use of the same passkey (an
    # authenticator without a counter always says 0).
    moves_forward = (
        Passkey.sign_count < verified.sign_count if verified.sign_count else Passkey.sign_count == 0
    )
    used = db.session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id, Passkey.suspended_at.is_(None), moves_forward)
        .values(
            sign_count=verified.sign_count,
            backed_up=verified.backed_up,
            last_used_at=clock.now(),
        )
    )
    db.session.commit()
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise PasskeyError("stale_counter")
    return PasskeySignIn(
        owner, user_verified=verified.user_verified, backup_eligible=passkey.backup_eligible
    )
