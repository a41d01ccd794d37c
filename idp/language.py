"""The language switcher (``POST /language``): the form in every page's footer that changes the
pages' language, remembers it in a long-lived cookie and, for a signed-in citizen, on the account,
where it is the language of their notices. It works without script: a form whose buttons name a
language, and a redirect back to the page it was on."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import update

from idp.accounts.browser import current_session
from idp.extensions import db
from idp.models import Account
from idp.pages import LOCALE_COOKIE, LOCALES, error_page

blueprint = Blueprint("language", __name__)

COOKIE_LIFETIME = timedelta(days=365)


def is_local_path(target: str) -> bool:
    """Whether ``target`` is a path on this host, so that the switcher cannot be used as an open
    redirect (RFC 9700 §4.11): it starts with one "/", and holds no "//" authority (RFC 3986
    §4.2), no backslash (browsers read it as "/"), and no control character or space (browsers
    drop tabs and newlines, so "/\\t/host" would become "//host")."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@blueprint.post("/language")
def choose() -> ResponseReturnValue:
    """Switch to the language the pressed button names and go back to ``next``. CSRFProtect
    checks the form's token before this runs, as for every form."""
    language = request.form.get("language", "")
    target = request.form.get("next", "")
    if language not in LOCALES:
        return error_page(
            _("Unknown language"), _("The pages are in Vietnamese and in English."), 400
        )
    if not is_local_path(target):
        return error_page(
            _("The language was not changed"),
            _("The page to return to is not on this site. Go back and choose the language again."),
            400,
        )
    signed_in = current_session()
    if signed_in is not None:
        db.session.execute(
            update(Account).where(Account.id == signed_in.account_id).values(language=language)
        )
        db.session.commit()
    response = redirect(target, 303)
    response.set_cookie(
        LOCALE_COOKIE,
        language,
        max_age=int(COOKIE_LIFETIME.total_seconds()),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response
