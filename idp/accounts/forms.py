"""Activation forms. ``citizen_id``, ``otp`` and ``password`` are the automation hooks of
DESIGN.md §3; ``birth_date``, ``full_name`` and ``password_confirm`` are stable too."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Regexp


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class BirthDateField(DateField):  # type: ignore[misc]
    """A date input; browsers without one send what the citizen typed, day first."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter the date as day/month/year, e.g. 14/05/1990.")) from None


class DetailsForm(FlaskForm):  # type: ignore[misc]
    citizen_id = StringField(
        _l("Citizen-ID number (12 digits)"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your citizen-ID number.")),
            Regexp(r"^\d{12}$", message=_l("A citizen-ID number has exactly 12 digits.")),
        ],
        render_kw={"autocomplete": "username", "inputmode": "numeric", "spellcheck": "false"},
    )
    birth_date = BirthDateField(
        _l("Date of birth"),
        format=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[InputRequired(_l("Enter your date of birth."))],
        render_kw={"autocomplete": "bday"},
    )
    full_name = StringField(
        _l("Full name, as on your citizen-ID card"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your full name.")),
            Length(max=300, message=_l("This name is too long.")),
        ],
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )


class CodeForm(FlaskForm):  # type: ignore[misc]
    otp = StringField(
        _l("Activation code (8 digits)"),
        validators=[InputRequired(_l("Enter the code.")), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class NewPasswordForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Choose a password."))],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("The same password again"),
        validators=[
            InputRequired(_l("Enter the password a second time.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
