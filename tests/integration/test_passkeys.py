"""Passkeys of accounts (idp.accounts.passkeys) with a real database and a software
authenticator: challenges are single-use, short-lived and bound; credentials are unique; a
counter that goes backwards suspends the passkey."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from idp import clock
from idp.accounts import passkeys
from idp.accounts.passkeys import PasskeyError
from idp.audit.events import Event
from idp.cleanup import purge_expired
from idp.extensions import db
from idp.models import Account, AuditEntry, Passkey, WebAuthnChallenge
from idp.notify.messages import Notice
from idp.notify.outbox import recent_messages
from tests.authenticator import SoftwareAuthenticator, b64url
from tests.factories import make_account, make_citizen
from tests.integration.conftest import START

BROWSER = "b" * 64
OTHER_BROWSER = "c" * 64
TRANSACTION = "t" * 43


@pytest.fixture
def account(app_context: Flask) -> Iterator[Account]:
    with clock.frozen(START):
        make_citizen()
        make_account(with_totp=False)
        found = db.session.scalar(select(Account))
        assert found is not None
        yield found


@pytest.fixture
def authenticator() -> SoftwareAuthenticator:
    return SoftwareAuthenticator("http://localhost:5000")


def _register(
    account: Account, authenticator: SoftwareAuthenticator, name: str = "Điện thoại", **breaks: Any
) -> Passkey:
    options = passkeys.registration_options(account, binding=BROWSER)
    response = authenticator.create(options, **breaks)
    return passkeys.register_passkey(account, response, name=name, binding=BROWSER)


def _sign_in(
    authenticator: SoftwareAuthenticator, account: Account | None = None, **breaks: Any
) -> passkeys.PasskeySignIn:
    options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION, account=account)
    response = authenticator.get(options, **breaks)
    return passkeys.authenticate(
        response, binding=BROWSER, transaction_id=TRANSACTION, account=account
    )


def _other_account(account: Account) -> Account:
    make_citizen("087084000998")
    make_account("087084000998", with_totp=False)
    other = db.session.scalar(select(Account).where(Account.id != account.id))
    assert other is not None
    return other


def _refused(reason: str, call: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(PasskeyError) as refused:
        call(*args, **kwargs)
    assert refused.value.reason == reason


def test_a_registered_passkey_is_listed_with_its_name(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    passkey = _register(account, authenticator, name="  Điện thoại của An ")
    assert passkey.name == "Điện thoại của An"
    assert passkey.created_at == START
    assert passkey.last_used_at is None
    assert passkey.transports == ["internal"]
    assert passkeys.list_passkeys(account.id) == [passkey]
    assert passkeys.has_passkeys(account.id)
    assert account.passkey_user_handle is not None
    assert len(account.passkey_user_handle) == 32


def test_adding_and_removing_a_passkey_is_told_and_recorded(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    passkey = _register(account, authenticator)
    passkeys.remove_passkey(account, passkey.id)
    # In the account's language, Vietnamese by default.
    added, removed = (m.body for m in reversed(recent_messages()))
    assert "một khóa truy cập đã được thêm" in added
    assert "một khóa truy cập đã bị gỡ bỏ" in removed
    changes = db.session.scalars(
        select(AuditEntry.details)
        .where(AuditEntry.event == Event.CREDENTIAL_CHANGED.value)
        .order_by(AuditEntry.seq)
    ).all()
    assert [json.loads(c) for c in changes] == [
        {"action": "added", "credential": "passkey"},
        {"action": "removed", "credential": "passkey"},
    ]


def test_the_user_handle_says_nothing_about_the_citizen(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    options = passkeys.registration_options(account, binding=BROWSER)
    assert options["user"]["name"] == "087084000999"
    assert options["user"]["displayName"] == "Nguyễn Văn An"
    assert "087084000999" not in options["user"]["id"]
    again = passkeys.registration_options(account, binding=BROWSER)
    assert again["user"]["id"] == options["user"]["id"]


def test_registration_excludes_the_accounts_passkeys(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    first = _register(account, authenticator)
    options = passkeys.registration_options(account, binding=BROWSER)
    assert [c["id"] for c in options["excludeCredentials"]] == [
        b64url(authenticator.credentials[0].credential_id)
    ]
    assert first.credential_id == authenticator.credentials[0].credential_id


@pytest.mark.spec("WebAuthn-L3-13.4.3")
def test_a_registration_response_cannot_be_replayed(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    options = passkeys.registration_options(account, binding=BROWSER)
    response = authenticator.create(options)
    passkeys.register_passkey(account, response, name="Một", binding=BROWSER)
    _refused(
        "unknown_challenge",
        passkeys.register_passkey,
        account,
        response,
        name="Hai",
        binding=BROWSER,
    )


def test_a_registration_challenge_expires(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    with clock.frozen(START) as advance:
        options = passkeys.registration_options(account, binding=BROWSER)
        advance(300)
        _refused(
            "unknown_challenge",
            passkeys.register_passkey,
            account,
            authenticator.create(options),
            name="Trễ",
            binding=BROWSER,
        )
    assert passkeys.list_passkeys(account.id) == []


def test_a_registration_challenge_belongs_to_its_browser(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    options = passkeys.registration_options(account, binding=BROWSER)
    response = authenticator.create(options)
    _refused(
        "unknown_challenge",
        passkeys.register_passkey,
        account,
        response,
        name="Khác",
        binding=OTHER_BROWSER,
    )
    # The rightful browser can still finish.
    passkeys.register_passkey(account, response, name="Đúng", binding=BROWSER)


@pytest.mark.spec("WebAuthn-L3-7.1")
@pytest.mark.parametrize(
    "breaks",
    [
        pytest.param({"origin": "http://evil.example"}, id="wrong-origin"),
        pytest.param({"rp_id": "evil.example"}, id="wrong-rp-id"),
        pytest.param({"user_verified": False}, id="no-user-verification"),
    ],
)
def test_a_broken_registration_stores_nothing(
    account: Account, authenticator: SoftwareAuthenticator, breaks: dict[str, Any]
) -> None:
    _refused("rejected", _register, account, authenticator, **breaks)
    assert passkeys.list_passkeys(account.id) == []


@pytest.mark.spec("WebAuthn-L3-7.1")
def test_a_credential_id_is_registered_once(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    _register(account, authenticator)
    other = _other_account(account)
    copy = authenticator.credentials[0].credential_id
    _refused(
        "duplicate_credential",
        _register,
        other,
        SoftwareAuthenticator("http://localhost:5000"),
        credential_id=copy,
    )
    assert db.session.scalar(select(func.count()).select_from(Passkey)) == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tên\x00", "a\u200bb"])
def test_a_bad_name_is_refused_before_anything_happens(account: Account, name: str) -> None:
    _refused("bad_name", passkeys.register_passkey, account, {}, name=name, binding=BROWSER)


def test_rename_and_remove(account: Account, authenticator: SoftwareAuthenticator) -> None:
    passkey = _register(account, authenticator)
    passkeys.rename_passkey(account.id, passkey.id, "Máy tính")
    db.session.refresh(passkey)
    assert passkey.name == "Máy tính"
    _refused("bad_name", passkeys.rename_passkey, account.id, passkey.id, " ")
    _refused("unknown_passkey", passkeys.rename_passkey, account.id + 1, passkey.id, "Của ai")
    _refused("unknown_passkey", passkeys.remove_passkey, _other_account(account), passkey.id)
    passkeys.remove_passkey(account, passkey.id)
    assert passkeys.list_passkeys(account.id) == []
    _refused("unknown_passkey", passkeys.remove_passkey, account, passkey.id)


def test_a_passwordless_sign_in_finds_the_account_and_records_the_use(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    passkey = _register(account, authenticator)
    with clock.frozen(START) as advance:
        advance(60)
        signed_in = _sign_in(authenticator)
    assert signed_in.account.id == account.id
    assert signed_in.user_verified
    assert not signed_in.backup_eligible
    db.session.refresh(passkey)
    assert passkey.sign_count == 1
    assert passkey.last_used_at == START.replace(minute=1)


def test_the_passwordless_options_ask_for_user_verification_and_any_passkey(
    account: Account,
) -> None:
    options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION)
    assert options["userVerification"] == "required"
    assert options["allowCredentials"] == []


@pytest.mark.spec("WebAuthn-L3-13.4.3")
def test_a_replayed_assertion_is_refused(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    _register(account, authenticator)
    options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION)
    response = authenticator.get(options)
    passkeys.authenticate(response, binding=BROWSER, transaction_id=TRANSACTION)
    _refused(
        "unknown_challenge",
        passkeys.authenticate,
        response,
        binding=BROWSER,
        transaction_id=TRANSACTION,
    )


def test_a_failed_assertion_uses_up_its_challenge(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    _register(account, authenticator)
    options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION)
    bad = authenticator.get(options, user_verified=False)
    _refused("rejected", passkeys.authenticate, bad, binding=BROWSER, transaction_id=TRANSACTION)
    good = authenticator.get(options)
    _refused(
        "unknown_challenge",
        passkeys.authenticate,
        good,
        binding=BROWSER,
        transaction_id=TRANSACTION,
    )


def test_an_assertion_challenge_expires(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    _register(account, authenticator)
    with clock.frozen(START) as advance:
        options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION)
        advance(299)
        response = authenticator.get(options)
        advance(1)
        _refused(
            "unknown_challenge",
            passkeys.authenticate,
            response,
            binding=BROWSER,
            transaction_id=TRANSACTION,
        )


@pytest.mark.parametrize(
    ("binding", "transaction_id"),
    [(OTHER_BROWSER, TRANSACTION), (BROWSER, "u" * 43)],
    ids=["other-browser", "other-authorization"],
)
def test_an_assertion_challenge_is_bound_to_its_browser_and_authorization(
    account: Account, authenticator: SoftwareAuthenticator, binding: str, transaction_id: str
) -> None:
    _register(account, authenticator)
    options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION)
    response = authenticator.get(options)
    _refused(
        "unknown_challenge",
        passkeys.authenticate,
        response,
        binding=binding,
        transaction_id=transaction_id,
    )


def test_a_challenge_for_one_purpose_does_not_serve_another(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    _register(account, authenticator)
    # Options for a second factor (user verification preferred) cannot finish a passwordless
    # sign-in, which needs it.
    options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION, account=account)
    response = authenticator.get(options, user_verified=False)
    _refused(
        "unknown_challenge",
        passkeys.authenticate,
        response,
        binding=BROWSER,
        transaction_id=TRANSACTION,
    )


@pytest.mark.spec("WebAuthn-L3-7.2")
@pytest.mark.parametrize(
    "breaks",
    [
        pytest.param({"origin": "http://localhost:5001"}, id="wrong-origin"),
        pytest.param({"rp_id": "example.com"}, id="wrong-rp-id"),
        pytest.param({"user_verified": False}, id="no-user-verification-when-alone"),
    ],
)
def test_a_broken_assertion_signs_nobody_in(
    account: Account, authenticator: SoftwareAuthenticator, breaks: dict[str, Any]
) -> None:
    passkey = _register(account, authenticator)
    _refused("rejected", _sign_in, authenticator, **breaks)
    db.session.refresh(passkey)
    assert (passkey.sign_count, passkey.last_used_at) == (0, None)


def test_a_second_factor_prefers_but_does_not_need_user_verification(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    _register(account, authenticator)
    options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION, account=account)
    assert options["userVerification"] == "preferred"
    assert [c["id"] for c in options["allowCredentials"]] == [
        b64url(authenticator.credentials[0].credential_id)
    ]
    response = authenticator.get(options, user_verified=False, user_handle=False)
    signed_in = passkeys.authenticate(
        response, binding=BROWSER, transaction_id=TRANSACTION, account=account
    )
    assert (signed_in.account.id, signed_in.user_verified) == (account.id, False)


def test_an_unknown_credential_is_refused(account: Account) -> None:
    stranger = SoftwareAuthenticator("http://localhost:5000")
    stranger.create(passkeys.registration_options(account, binding=BROWSER))  # never sent back
    _refused("unknown_credential", _sign_in, stranger)


def test_after_a_password_only_that_accounts_passkeys_count(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    other = _other_account(account)
    _register(account, authenticator)
    theirs = SoftwareAuthenticator("http://localhost:5000")
    _register(other, theirs)
    options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION, account=account)
    response = theirs.get(options, credential=theirs.credentials[0])
    _refused(
        "unknown_credential",
        passkeys.authenticate,
        response,
        binding=BROWSER,
        transaction_id=TRANSACTION,
        account=account,
    )


@pytest.mark.spec("WebAuthn-L3-7.2")
@pytest.mark.parametrize("user_handle", [False, b"\x00" * 32], ids=["missing", "another"])
def test_a_passwordless_assertion_must_name_the_owner(
    account: Account, authenticator: SoftwareAuthenticator, user_handle: bool | bytes
) -> None:
    _register(account, authenticator)
    _refused("wrong_user_handle", _sign_in, authenticator, user_handle=user_handle)


@pytest.mark.spec("WebAuthn-L3-6.1.1")
def test_a_counter_regression_suspends_the_passkey(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    passkey = _register(account, authenticator)
    _sign_in(authenticator, sign_count=7)
    with clock.frozen(START) as advance:
        advance(120)
        _refused("counter_regressed", _sign_in, authenticator, sign_count=3)
    db.session.refresh(passkey)
    assert passkey.suspended_at == START.replace(minute=2)
    assert passkey.sign_count == 7
    assert not passkeys.has_passkeys(account.id)
    # Suspended for good: even a counter that moves on signs nobody in.
    _refused("suspended", _sign_in, authenticator, sign_count=8)
    _refused("counter_regressed", _sign_in, authenticator, sign_count=1)
    # The citizen is told once, at the contact on their registry record (NIST SP 800-63B
    # §6.1.2.3), after the notice of the passkey being added.
    notices = recent_messages()
    assert [m.kind for m in notices] == [Notice.CREDENTIAL_CHANGED] * 2
    assert "một khóa truy cập đã bị tạm khóa" in notices[0].body
    assert "một khóa truy cập đã được thêm" in notices[1].body
    options = passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION, account=account)
    assert options["allowCredentials"] == []


def test_an_invalid_signature_with_a_low_counter_does_not_suspend(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    passkey = _register(account, authenticator)
    _sign_in(authenticator, sign_count=7)
    _refused("rejected", _sign_in, authenticator, sign_count=3, origin="http://evil.example")
    db.session.refresh(passkey)
    assert passkey.suspended_at is None


def test_challenges_are_rows_that_go_away_when_used(
    account: Account, authenticator: SoftwareAuthenticator
) -> None:
    _register(account, authenticator)
    _sign_in(authenticator)
    assert db.session.scalar(select(func.count()).select_from(WebAuthnChallenge)) == 0


def test_cleanup_deletes_unanswered_challenges(account: Account) -> None:
    with clock.frozen(START) as advance:
        passkeys.sign_in_options(binding=BROWSER, transaction_id=TRANSACTION)
        passkeys.registration_options(account, binding=BROWSER)
        advance(299)
        assert purge_expired().challenges == 0
        advance(1)
        assert purge_expired().challenges == 2
