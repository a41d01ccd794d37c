"""Sign-in forms. Field names are a public contract (DESIGN.md §3, automation hooks)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length


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
