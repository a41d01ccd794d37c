"""Sign-in and credential forms. Field names are a public contract (DESIGN.md §3, automation
hooks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from idp.authn.password_policy import MESSAGES, PersonalData, check_new_password


class PasswordForm(FlaskForm):  # type: ignore[misc]
    citizen_id = StringField(
        _l("Citizen-ID number (12 digits)"),
        validators=[InputRequired(), Length(min=12, max=12)],
        # "webauthn": the browser may offer passkeys here (WebAuthn L3 §5.1.4, conditional
        # mediation).
        render_kw={
            "autocomplete": "username webauthn",
            "inputmode": "numeric",
            "spellcheck": "false",
        },
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )


class OtpForm(FlaskForm):  # type: ignore[misc]
    otp = StringField(
        _l("6-digit code from your authenticator app"),
        validators=[InputRequired(), Length(min=6, max=7)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class RecoveryCodeForm(FlaskForm):  # type: ignore[misc]
    recovery_code = StringField(
        _l("Recovery code"),
        validators=[InputRequired(), Length(max=20)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class NewPasswordForm(FlaskForm):  # type: ignore[misc]
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Enter a new password."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(message=_l("Enter the new password a second time.")),
            EqualTo("new_password", message=_l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )


#: When the first code from a new authenticator app does not match its secret.
WRONG_FIRST_CODE = _l(
    "This code does not match. Enter the code the app shows now, and check that the "
    "phone's clock is right."
)

Validator = Callable[[Any, Field], None]


def meets_policy(personal: PersonalData) -> Validator:
    """A validator of a new-password field: NIST SP 800-63B §5.1.1.2 as ``password_policy``
    states it, every reason for a refusal on the field."""

    def check(form: Any, field: Field) -> None:
        if field.data:
            verdict = check_new_password(field.data, personal)
            field.errors.extend(MESSAGES[problem] for problem in verdict.problems)

    return check


def is_current_password(is_current: Callable[[str], bool]) -> Validator:
    """A validator of a current-password field; ``is_current`` checks a candidate."""

    def check(form: Any, field: Field) -> None:
        if field.data and not is_current(field.data):
            raise ValidationError(_l("This is not your current password."))

    return check


def not_current_password(is_current: Callable[[str], bool]) -> Validator:
    """A validator of a new-password field: a new password is a different one (after a
    recovery, the old one may be known to whoever caused it)."""

    def check(form: Any, field: Field) -> None:
        if field.data and not field.errors and is_current(field.data):
            raise ValidationError(_l("Choose a password other than your current one."))

    return check
