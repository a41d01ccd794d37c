"""The notifier interface, and :func:`notify`, which every part of the provider calls to tell a
citizen something: at the phone (SMS) or e-mail address on their registry record, never at an
address typed on a page.

Production plugs in a gateway with ``IDP_NOTIFIER=module:Class``: a class whose instances have
``send(message)`` (:class:`Notifier`), made once per worker with no arguments.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from flask import Flask, current_app
from sqlalchemy import select

from idp.config import ConfigurationError
from idp.extensions import db
from idp.models import Account, Citizen
from idp.notify.messages import Notice, render
from idp.population.registry import phone_in_e164

log = logging.getLogger(__name__)

EXTENSION = "idp.notifier"
MASK = "•"

Channel = Literal["sms", "email"]


@dataclass(frozen=True, slots=True)
class Contact:
    channel: Channel
    address: str  # E.164 for a phone

    @property
    def masked(self) -> str:
        """What a page may show of the address: ``09•••••123``, ``a•••@e•••.vn``."""
        if self.channel == "sms":
            national = "0" + self.address[3:] if self.address.startswith("+84") else self.address
            return national[:2] + MASK * (len(national) - 5) + national[-3:]
        local, _, domain = self.address.partition("@")
        host, _, suffix = domain.rpartition(".")
        return f"{local[:1]}{MASK * 3}@{host[:1]}{MASK * 3}.{suffix}"


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one citizen, written in their language. ``subject`` is for e-mail; an SMS
    gateway sends ``body`` alone."""

    kind: Notice
    to: Contact
    language: str
    subject: str
    body: str


@runtime_checkable
class Notifier(Protocol):
    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise; never log its body (it may hold a code)."""


def contact_of(citizen: Citizen) -> Contact | None:
    """The registry record's phone, else its e-mail address, else None."""
    if citizen.phone:
        return Contact("sms", phone_in_e164(citizen.phone))
    if citizen.email:
        return Contact("email", citizen.email)
    return None


def notify(
    citizen: Citizen, kind: Notice, *, language: str | None = None, **values: Any
) -> Message | None:
    """Tell ``citizen`` about ``kind`` at the contact on their registry record, in ``language``
    (by default the language of their account, else ``IDP_DEFAULT_LOCALE``); return the
    message, or None when the record has no phone or e-mail address."""
    contact = contact_of(citizen)
    if contact is None:
        log.info("no contact on the registry record: %s not sent", kind.value)
        return None
    if language is None:
        language = db.session.scalar(
            select(Account.language).where(Account.citizen_pk == citizen.id)
        ) or str(current_app.config["DEFAULT_LOCALE"])
    subject, body = render(kind, language, values)
    message = Message(kind, contact, language, subject, body)
    current_app.extensions[EXTENSION].send(message)
    log.info("notice %s sent by %s", kind.value, contact.channel)
    return message


def load_notifier(name: str) -> Notifier:
    """An instance of the class named ``module:Class``."""
    module_name, _, class_name = name.partition(":")
    try:
        notifier = getattr(importlib.import_module(module_name), class_name)()
    except (ImportError, AttributeError, ValueError, TypeError) as error:
        raise ConfigurationError(f"IDP_NOTIFIER={name!r}: no notifier made ({error})") from None
    if not isinstance(notifier, Notifier):
        raise ConfigurationError(f"IDP_NOTIFIER={name!r}: the class has no send(message) method")
    return notifier


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = load_notifier(app.config["NOTIFIER"])
