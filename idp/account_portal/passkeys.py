"""The citizen's passkeys (``/account/passkeys``): the list with when each was added and last
used, and whether it is suspended; adding, renaming and removing one, each only after a recent
sign-in (``guard.signed_in(recent=True)``). Every POST carries the CSRF token (in a header for
the JSON options)."""

from __future__ import annotations

import logging

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from idp.account_portal.guard import signed_in
from idp.accounts import passkeys
from idp.accounts.browser import browser_binding
from idp.authn import webauthn

log = logging.getLogger(__name__)
blueprint = Blueprint("account_passkeys", __name__, url_prefix="/account/passkeys")


def _bad_name() -> str:
    message: str = _(
        "Give the passkey a name of 1 to %(n)d letters, digits or signs.",
        n=passkeys.NAME_MAX_LENGTH,
    )
    return message


def _list_page(error: str | None = None) -> ResponseReturnValue:
    return render_template(
        "account/passkeys.html",
        passkeys=passkeys.list_passkeys(g.account.id),
        error=error,
        name_max=passkeys.NAME_MAX_LENGTH,
    ), (200 if error is None else 400)


@blueprint.get("")
@signed_in()
def index() -> ResponseReturnValue:
    return _list_page()


@blueprint.post("")
@signed_in(recent=True)
def change() -> ResponseReturnValue:
    """Rename or remove one of the citizen's passkeys (``action``, ``passkey_id``, ``name``).
    After a stale sign-in the guard signs the citizen in again and shows the list."""
    passkey_id = request.form.get("passkey_id", "")
    action = request.form.get("action")
    try:
        # At most 9 digits: a larger number would overflow an integer column and fail the query.
        if not passkey_id.isdigit() or len(passkey_id) > 9:
            raise passkeys.PasskeyError("unknown_passkey")
        if action == "rename":
            passkeys.rename_passkey(g.account.id, int(passkey_id), request.form.get("name", ""))
        elif action == "remove":
            passkeys.remove_passkey(g.account, int(passkey_id))
        else:
            raise passkeys.PasskeyError("unknown_action")
    except passkeys.PasskeyError as refused:
        log.info("passkey change refused reason=%s", refused.reason)
        if refused.reason == "bad_name":
            return _list_page(_bad_name())
        return _list_page(_("The passkey could not be changed. Reload the page and try again."))
    log.info("passkey %s account=%s", action, g.account.id)
    return redirect(url_for(".index"))


def _new_page(error: str | None = None) -> ResponseReturnValue:
    return render_template(
        "account/passkeys_new.html", error=error, name_max=passkeys.NAME_MAX_LENGTH
    ), (200 if error is None else 400)


@blueprint.get("/new")
@signed_in(recent=True)
def new() -> ResponseReturnValue:
    return _new_page()


@blueprint.post("/new/options")
@signed_in(recent=True)
def registration_options() -> ResponseReturnValue:
    """``navigator.credentials.create()`` options, as JSON."""
    return jsonify(passkeys.registration_options(g.account, binding=browser_binding()))


@blueprint.post("/new")
@signed_in(recent=True)
def register() -> ResponseReturnValue:
    """The browser's answer to the options, posted by passkeys.js with the chosen name."""
    response = webauthn.response_from_json(request.form.get("credential", ""))
    try:
        if response is None:
            raise passkeys.PasskeyError("rejected", "not a credential")
        passkeys.register_passkey(
            g.account, response, name=request.form.get("name", ""), binding=browser_binding()
        )
    except passkeys.PasskeyError as refused:
        log.info("passkey registration refused reason=%s", refused.reason)
        if refused.reason == "bad_name":
            return _new_page(_bad_name())
        if refused.reason == "duplicate_credential":
            return _new_page(_("This passkey is already registered."))
        return _new_page(_("The passkey could not be added. Try again."))
    log.info("passkey registered account=%s", g.account.id)
    return redirect(url_for(".index"))
