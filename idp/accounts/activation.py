"""Activation of e-ID accounts by the citizens they belong to (issue 4, item 6).

A citizen gives their citizen-ID number, birth date and full name; when these match the
registry, a one-time code goes to the phone or e-mail address on the registry record, and
entering it lets them set a password. The account then exists at identity level 1 (or, after
an officer's reset, the same account works again: same ``subject_key``, so the same ``sub``).

Nothing here tells the browser whether the details matched: an unknown number, wrong details,
a record without a contact, an account that is already active (whose citizen is sent a notice
instead of a code) and a citizen over the sending limit all get a request without a code that
fails at the code step like a wrong code, and a masked contact that looks like a real one.

A request moves only forward, each step one conditional ``UPDATE``, so a replayed or concurrent
step changes nothing::

    PENDING ──code──► CONFIRMED ──password──► DONE
       └──── a newer request for the same citizen ────► REPLACED
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult

from idp import clock
from idp.accounts.service import personal_data
from idp.audit.events import Event
from idp.audit.ledger import record
from idp.authn import hashing
from idp.authn import password as passwords
from idp.authn.password_policy import MESSAGES, check_new_password
from idp.extensions import db
from idp.models import Account, ActivationRequest, Citizen
from idp.notify.messages import Notice
from idp.notify.notifier import MASK, contact_of, notify
from idp.population.citizen_id import is_well_formed
from idp.population.registry import find_by_citizen_id

log = logging.getLogger(__name__)

CODE_DIGITS = 8
SEND_WINDOW = timedelta(hours=1)
# Shapes of the masked contact shown for a request without a code, drawn with about the shares
# of the registry's (most records have a phone): first digits of Vietnamese mobile numbers,
# and the ends of e-mail domains.
DECOY_PHONE_SHARE = 0.85
DECOY_PHONE_PREFIXES = ("03", "05", "07", "08", "09")
DECOY_DOMAIN_SUFFIXES = ("com", "vn", "net")


class State(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DONE = "done"
    REPLACED = "replaced"


class CodeCheck(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"  # try again
    UNUSABLE = "unusable"  # expired, replaced, done, or no tries left: ask for a new code


@dataclass(frozen=True, slots=True)
class Started:
    handle: str  # for the browser's cookie only; the table keeps its SHA-256
    masked_contact: str


@dataclass(frozen=True, slots=True)
class Completed:
    account: Account | None
    problems: tuple[str, ...] = ()  # why the password was refused, translated for the page
    expired: bool = False


def normalise_name(name: str) -> str:
    """Names compare after NFKC, case folding and collapsing white space; diacritics count
    (``Nguyễn`` is not ``Nguyen``)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _digest(handle: str) -> str:
    return hashlib.sha256(handle.encode()).hexdigest()


def _keyed(purpose: str, *parts: str) -> bytes:
    """HMAC-SHA256 under a key derived from ``IDP_SECRET_KEY`` for ``purpose``."""
    key = hmac.new(
        str(current_app.config["SECRET_KEY"]).encode(), purpose.encode(), hashlib.sha256
    ).digest()
    return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).digest()


def _code_digest(request_id: str, code: str) -> str:
    return _keyed("activation-code", request_id, code).hex()


def _decoy_contact(citizen_id: str, birth_date: date, full_name: str) -> str:
    """A masked contact for details that match nothing: the same for the same details, and
    shaped like a real one, so the page does not tell whether the details matched."""
    drawn = _keyed("activation-decoy", citizen_id, birth_date.isoformat(), full_name)
    if drawn[0] < 256 * DECOY_PHONE_SHARE:
        prefix = DECOY_PHONE_PREFIXES[drawn[1] % len(DECOY_PHONE_PREFIXES)]
        return prefix + MASK * 5 + "".join(str(b % 10) for b in drawn[2:5])
    letters = "abcdefghijklmnopqrstuvwxyz"
    suffix = DECOY_DOMAIN_SUFFIXES[drawn[4] % len(DECOY_DOMAIN_SUFFIXES)]
    return f"{letters[drawn[2] % 26]}{MASK * 3}@{letters[drawn[3] % 26]}{MASK * 3}.{suffix}"


def _matches(citizen: Citizen, birth_date: date, full_name: str) -> bool:
    same_name = hmac.compare_digest(
        normalise_name(citizen.full_name).encode(), normalise_name(full_name).encode()
    )
    return same_name and citizen.birth_date == birth_date


def is_active(account: Account | None) -> bool:
    """An account is active once it has a password (activation sets one; a reset removes it)."""
    return account is not None and account.password_hash is not None


def _account_of(citizen_pk: int) -> Account | None:
    return db.session.scalar(select(Account).where(Account.citizen_pk == citizen_pk))


def _sent_lately(citizen_pk: int) -> int:
    since = clock.now() - SEND_WINDOW
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ActivationRequest)
            .where(ActivationRequest.citizen_pk == citizen_pk, ActivationRequest.created_at > since)
        )
        or 0
    )


def request_code(citizen_id: str, birth_date: date, full_name: str, *, language: str) -> Started:
    """Start an activation: send a code when the details match a citizen who can activate."""
    config = current_app.config
    now = clock.now()
    handle = secrets.token_urlsafe(32)
    request = ActivationRequest(
        id=_digest(handle),
        state=State.PENDING,
        attempts=0,
        created_at=now,
        expires_at=now + timedelta(seconds=config["ACTIVATION_CODE_LIFETIME"]),
        masked_contact=_decoy_contact(citizen_id, birth_date, normalise_name(full_name)),
    )
    citizen = find_by_citizen_id(citizen_id)
    contact = contact_of(citizen) if citizen is not None else None
    notice: tuple[Notice, dict[str, Any]] | None = None
    if citizen is None or contact is None or not _matches(citizen, birth_date, full_name):
        log.info("activation: details match no citizen who can activate online")
    elif _sent_lately(citizen.id) >= config["ACTIVATION_SENDS_PER_HOUR"]:
        request.masked_contact = contact.masked
        log.info("activation: sending limit reached for citizen %d", citizen.id)
    elif is_active(_account_of(citizen.id)):
        request.masked_contact = contact.masked
        request.citizen_pk = citizen.id  # counts towards the sending limit; holds no code
        notice = (Notice.ACTIVATION_OF_ACTIVE_ACCOUNT, {})
    else:
        # A new code replaces the citizen's earlier ones.
        db.session.execute(
            update(ActivationRequest)
            .where(
                ActivationRequest.citizen_pk == citizen.id,
                ActivationRequest.state.in_((State.PENDING, State.CONFIRMED)),
            )
            .values(state=State.REPLACED)
        )
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        request.masked_contact = contact.masked
        request.citizen_pk = citizen.id
        request.code_digest = _code_digest(request.id, code)
        minutes = max(1, config["ACTIVATION_CODE_LIFETIME"] // 60)
        notice = (Notice.ACTIVATION_CODE, {"code": code, "minutes": minutes})
    db.session.add(request)
    db.session.commit()
    sent = "none"
    if citizen is not None and notice is not None:
        kind, values = notice
        notify(citizen, kind, language=language, **values)
        sent = "code" if kind is Notice.ACTIVATION_CODE else "notice"
    if is_well_formed(citizen_id):
        record(Event.ACTIVATION_REQUESTED, citizen_id=citizen_id, details={"sent": sent})
    return Started(handle, request.masked_contact)


def find_request(handle: str | None) -> ActivationRequest | None:
    """The live request behind a browser's handle (in any state; not expired)."""
    if not handle:
        return None
    return db.session.scalar(
        select(ActivationRequest).where(
            ActivationRequest.id == _digest(handle), ActivationRequest.expires_at > clock.now()
        )
    )


def _advance(request: ActivationRequest, expected: State, new: State, **values: Any) -> bool:
    moved = db.session.execute(
        update(ActivationRequest)
        .where(
            ActivationRequest.id == request.id,
            ActivationRequest.state == expected,
            ActivationRequest.expires_at > clock.now(),
        )
        .values(state=new, **values)
    )
    db.session.commit()
    assert isinstance(moved, CursorResult)
    return moved.rowcount == 1


def confirm_code(handle: str | None, code: str) -> CodeCheck:
    """Check the code of the browser's request. Every try counts, right or wrong, and is
    counted before the comparison in one conditional ``UPDATE``, so that concurrent tries
    cannot exceed ``IDP_ACTIVATION_CODE_ATTEMPTS``."""
    request = find_request(handle)
    if request is None:
        return CodeCheck.UNUSABLE
    counted = db.session.execute(
        update(ActivationRequest)
        .where(
            ActivationRequest.id == request.id,
            ActivationRequest.state == State.PENDING,
            ActivationRequest.attempts < current_app.config["ACTIVATION_CODE_ATTEMPTS"],
            ActivationRequest.expires_at > clock.now(),
        )
        .values(attempts=ActivationRequest.attempts + 1)
    )
    db.session.commit()
    assert isinstance(counted, CursorResult)
    if counted.rowcount != 1:
        _refused(request, "unusable")
        return CodeCheck.UNUSABLE
    code = "".join(code.split())
    expected = request.code_digest
    if expected is None or not hmac.compare_digest(expected, _code_digest(request.id, code)):
        log.info("activation: wrong code")
        _refused(request, "wrong_code")
        return CodeCheck.WRONG
    # The code is spent here: a second use finds the request CONFIRMED, not PENDING. The
    # citizen gets a fresh lifetime to choose a password.
    lifetime = timedelta(seconds=current_app.config["ACTIVATION_CODE_LIFETIME"])
    if not _advance(request, State.PENDING, State.CONFIRMED, expires_at=clock.now() + lifetime):
        return CodeCheck.UNUSABLE
    return CodeCheck.ACCEPTED


def _refused(request: ActivationRequest, reason: str) -> None:
    """A refused code is recorded against the citizen it was for (none for a decoy request)."""
    if request.citizen_pk is not None:
        citizen = db.session.get(Citizen, request.citizen_pk)
        if citizen is not None:
            record(
                Event.ACTIVATION_CODE_REFUSED,
                citizen_id=citizen.citizen_id,
                details={"reason": reason},
            )


def complete(handle: str | None, password: str, *, language: str) -> Completed:
    """Set the password of the browser's confirmed request, if the policy accepts it (NIST SP
    800-63B §5.1.1.2, ``authn/password_policy``): create the account, or give the existing one
    (after a reset) its password back, with the same ``subject_key``."""
    request = find_request(handle)
    if request is None or request.state != State.CONFIRMED or request.citizen_pk is None:
        return Completed(None, expired=True)
    citizen = db.session.get(Citizen, request.citizen_pk)
    assert citizen is not None
    verdict = check_new_password(password, personal_data(citizen))
    if not verdict.ok:
        return Completed(None, tuple(str(MESSAGES[problem]) for problem in verdict.problems))
    with hashing.slot():
        password_hash = passwords.hash_password(password)
    if not _advance(request, State.CONFIRMED, State.DONE):
        return Completed(None, expired=True)
    account = _account_of(citizen.id)
    reactivated = account is not None
    if account is None:
        account = Account(
            citizen_pk=citizen.id,
            subject_key=secrets.token_urlsafe(32),
            password_hash=password_hash,
            identity_level=1,
            language=language,
            created_at=clock.now(),
        )
        db.session.add(account)
        db.session.commit()
    else:
        # Only an account without a password is activated again (it was reset).
        updated = db.session.execute(
            update(Account)
            .where(Account.id == account.id, Account.password_hash.is_(None))
            .values(password_hash=password_hash, language=language)
        )
        db.session.commit()
        assert isinstance(updated, CursorResult)
        if updated.rowcount != 1:
            return Completed(None, expired=True)
        db.session.refresh(account)
    log.info("activation: account %d activated", account.id)
    record(
        Event.ACCOUNT_ACTIVATED,
        account_id=account.id,
        details={"reactivated": reactivated},
    )
    notify(citizen, Notice.ACCOUNT_ACTIVATED, language=language)
    return Completed(account)
