"""What the provider tells citizens: one template per kind of notice, in Vietnamese and English
(the catalogues hold the translations, as for the pages).

A template is formatted with ``%`` and the values the caller passes to ``notify``; a test checks
that every template renders in both languages with the values named here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l


class Notice(StrEnum):
    """Kinds of notice; the value is stored with each message sent."""

    #: The one-time code that proves the citizen holds the registry contact (values: code, minutes).
    ACTIVATION_CODE = "activation_code"
    #: Someone asked to activate an account that is already active; no code was sent (values: url).
    ACTIVATION_OF_ACTIVE_ACCOUNT = "activation_of_active_account"
    #: The citizen set a password and the account is active.
    ACCOUNT_ACTIVATED = "account_activated"
    #: An officer reset the account: credentials removed, sessions ended (values: url).
    ACCOUNT_RESET = "account_reset"
    #: An officer verified the citizen's identity in person: identity level 2.
    IDENTITY_VERIFIED = "identity_verified"
    #: How the citizen signs in changed (values: change, url of the account pages).
    CREDENTIAL_CHANGED = "credential_changed"
    #: A portal received data it had not received before, or sensitive data (values: portal,
    #: items, url of the access history).
    DATA_RELEASED = "data_released"


@dataclass(frozen=True, slots=True)
class Template:
    subject: Any  # lazy strings: translated when rendered
    body: Any


TEMPLATES: dict[Notice, Template] = {
    Notice.ACTIVATION_CODE: Template(
        _l("Your e-ID activation code"),
        _l(
            "%(code)s is your e-ID activation code. It is valid for %(minutes)d minutes. Do not "
            "give it to anyone: the e-ID service never asks you for it."
        ),
    ),
    Notice.ACTIVATION_OF_ACTIVE_ACCOUNT: Template(
        _l("Someone tried to activate your e-ID account"),
        _l(
            "Someone entered your details to activate your e-ID account, which is already "
            "active. No code was sent and nothing has changed. If it was you, sign in with your "
            "password. If you have lost it, ask an e-ID office to reset your account."
        ),
    ),
    Notice.ACCOUNT_ACTIVATED: Template(
        _l("Your e-ID account is active"),
        _l(
            "Your e-ID account has been activated and its password set. If you did not do this, "
            "contact an e-ID office at once."
        ),
    ),
    Notice.ACCOUNT_RESET: Template(
        _l("Your e-ID account was reset"),
        _l(
            "An officer reset your e-ID account: its password and authenticator were removed and "
            "you were signed out everywhere. Activate it again at %(url)s"
        ),
    ),
    Notice.IDENTITY_VERIFIED: Template(
        _l("Your identity was verified in person"),
        _l(
            "An officer verified your identity in person: your e-ID account is now at identity "
            "level 2."
        ),
    ),
    Notice.CREDENTIAL_CHANGED: Template(
        _l("Your e-ID sign-in settings changed"),
        _l(
            "On your e-ID account, %(change)s. If this was not you, sign in at %(url)s, choose "
            "Sign-in history and press “This wasn't me”, or contact an e-ID office."
        ),
    ),
    Notice.DATA_RELEASED: Template(
        _l("%(portal)s received your data"),
        _l(
            "%(portal)s received through your e-ID: %(items)s. See every release of your data, "
            "and withdraw your consent, at %(url)s"
        ),
    ),
}


def render(kind: Notice, language: str, values: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of ``kind`` in ``language``, filled with ``values``."""
    template = TEMPLATES[kind]
    with force_locale(language):
        return str(template.subject) % values, str(template.body) % values
