"""The notifier: messages in the citizen's language at the registry record's contact, the
development outbox and its page, and a gateway named by IDP_NOTIFIER."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import update

from idp import create_app
from idp.config import ConfigurationError
from idp.extensions import db
from idp.models import Account
from idp.notify.messages import TEMPLATES, Notice, render
from idp.notify.notifier import Contact, Message, notify
from idp.notify.outbox import recent_messages
from tests.factories import make_account, make_citizen

# Every value some notice names (messages.Notice says which).
VALUES = {
    "code": "12345678",
    "minutes": 10,
    "url": "https://id.example.vn/activate",
    "change": "a passkey was added",
    "portal": "Demo portal",
    "items": "name, birth date",
}
VIETNAMESE_LETTERS = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")


class Recording:
    """A gateway as an operator would plug one in: ``IDP_NOTIFIER=module:Class``."""

    sent: ClassVar[list[Message]] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)


def test_every_notice_reads_well_in_vietnamese_and_english(app_context: Flask) -> None:
    assert set(TEMPLATES) == set(Notice)
    for kind in Notice:
        vi, en = render(kind, "vi", VALUES), render(kind, "en", VALUES)
        assert vi != en, kind
        for text in (*vi, *en):
            assert text, kind
            assert "%(" not in text, kind
        for text in vi:
            assert VIETNAMESE_LETTERS.search(text), kind
        assert not VIETNAMESE_LETTERS.search(" ".join(en)), kind
    _, vi_body = render(Notice.ACTIVATION_CODE, "vi", VALUES)
    assert vi_body.startswith("12345678 là mã kích hoạt")
    assert "10 phút" in vi_body
    assert "https://id.example.vn/activate" in render(Notice.ACCOUNT_RESET, "en", VALUES)[1]


def test_a_notice_goes_to_the_registry_phone_in_the_accounts_language(
    app_context: Flask,
) -> None:
    citizen = make_citizen()
    make_account(with_totp=False)
    sent = notify(citizen, Notice.IDENTITY_VERIFIED)
    assert sent is not None
    assert (sent.to.channel, sent.to.address, sent.language) == ("sms", "+84912345678", "vi")
    db.session.execute(update(Account).values(language="en"))
    db.session.commit()
    notify(citizen, Notice.IDENTITY_VERIFIED)
    assert notify(citizen, Notice.ACCOUNT_ACTIVATED, language="vi") is not None

    newest, english, vietnamese = recent_messages()
    assert [m.language for m in (newest, english, vietnamese)] == ["vi", "en", "vi"]
    assert english.subject == "Your identity was verified in person"
    assert vietnamese.subject == "Danh tính của bạn đã được xác minh trực tiếp"
    assert (vietnamese.channel, vietnamese.address) == ("sms", "+84912345678")


def test_without_a_phone_the_email_address_and_without_either_nothing(
    app_context: Flask,
) -> None:
    by_email = make_citizen("087084000999", phone=None)
    sent = notify(by_email, Notice.ACCOUNT_ACTIVATED)
    assert sent is not None
    assert (sent.to.channel, sent.to.address) == ("email", "an.nguyen@example.vn")
    unreachable = make_citizen("001090012345", phone=None, email=None)
    assert notify(unreachable, Notice.ACCOUNT_ACTIVATED) is None
    assert len(recent_messages()) == 1


@pytest.mark.parametrize(
    ("contact", "masked"),
    [
        (Contact("sms", "+84912345678"), "09•••••678"),
        (Contact("sms", "+84387654321"), "03•••••321"),
        (Contact("email", "an.nguyen@example.vn"), "a•••@e•••.vn"),
        (Contact("email", "binh@mail.gov.vn"), "b•••@m•••.vn"),
    ],
)
def test_a_contact_is_shown_masked(contact: Contact, masked: str) -> None:
    assert contact.masked == masked


@pytest.fixture
def gateway_app(environ: dict[str, str]) -> Iterator[Flask]:
    app = create_app({**environ, "IDP_NOTIFIER": f"{__name__}:Recording"})
    Recording.sent.clear()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_idp_notifier_names_the_class_that_sends(app: Flask, gateway_app: Flask) -> None:
    with gateway_app.app_context():
        citizen = make_citizen()
        notify(citizen, Notice.ACTIVATION_CODE, language="en", code="12345678", minutes=10)
        assert recent_messages() == []  # not in the outbox
    [message] = Recording.sent
    assert message.kind is Notice.ACTIVATION_CODE
    assert message.to == Contact("sms", "+84912345678")
    assert message.body.startswith("12345678 is your e-ID activation code")


@pytest.mark.parametrize(
    "name",
    [
        "no_such_module:Gateway",
        "idp.notify.outbox:NoSuchClass",
        "idp.notify.outbox",
        "idp.models:Base",
    ],
)
def test_a_notifier_that_cannot_be_made_stops_the_provider(
    environ: dict[str, str], name: str
) -> None:
    with pytest.raises(ConfigurationError, match="IDP_NOTIFIER"):
        create_app({**environ, "IDP_NOTIFIER": name})


def test_the_outbox_page_lists_messages_newest_first(app: Flask) -> None:
    with app.app_context():
        citizen = make_citizen()
        notify(citizen, Notice.ACCOUNT_ACTIVATED, language="en")
        notify(citizen, Notice.ACTIVATION_CODE, language="en", code="87654321", minutes=10)
    page = app.test_client().get("/dev/outbox", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    messages = BeautifulSoup(page.get_data(as_text=True), "html.parser").select("article.message")
    assert [m["data-kind"] for m in messages] == ["activation_code", "account_activated"]
    assert messages[0]["data-to"] == "+84912345678"
    assert "87654321" in messages[0].get_text()


def test_the_outbox_page_exists_only_in_development(environ: dict[str, str]) -> None:
    production = create_app(
        {
            **environ,
            "IDP_ENV": "production",
            "IDP_ISSUER": "https://id.example.vn",
            "IDP_NOTIFIER": "idp.notify.outbox:OutboxNotifier",
        }
    )
    assert production.test_client().get("/dev/outbox").status_code == 404
    with production.app_context():
        db.engine.dispose()
