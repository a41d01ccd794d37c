"""Who may see an account page: a signed-in citizen and, for a change to their credentials,
one who signed in again within the last minutes at the strongest level their account allows.

A page that needs more sends the browser through the ordinary sign-in pages with a
first-party transaction (``oidc.transactions.FIRST_PARTY``), which ends back on that page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import ParamSpec

from flask import current_app, g, request
from flask.typing import ResponseReturnValue

from idp import clock
from idp.accounts.browser import current_session
from idp.accounts.service import has_second_factor
from idp.consent.catalogue import satisfies
from idp.extensions import db
from idp.models import Account, BrowserSession
from idp.oidc.authorize_views import begin_interaction
from idp.oidc.transactions import FIRST_PARTY

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]


def _needs_sign_in(session: BrowserSession | None, account: Account | None, recent: bool) -> bool:
    if session is None or account is None:
        return True
    if not recent:
        return False
    window = timedelta(seconds=current_app.config["REAUTHENTICATION_WINDOW"])
    # A stolen password alone must not be able to change the second factor.
    strongest = "loa2" if has_second_factor(account) else "loa1"
    return clock.now() - session.auth_time > window or not satisfies(session.acr, strongest)


def signed_in(*, recent: bool = False) -> Callable[[View[P]], View[P]]:
    """Serve the view to a signed-in citizen (``g.account``, ``g.browser_session``); with
    ``recent``, only after a sign-in within ``IDP_REAUTHENTICATION_WINDOW`` seconds."""

    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            session = current_session()
            account = db.session.get(Account, session.account_id) if session else None
            if _needs_sign_in(session, account, recent):
                # A form posted on a stale sign-in is not replayed: the citizen signs in
                # again and lands on the page, where they can repeat the change.
                params = {"return_to": request.path}
                if account is not None and recent:
                    params["prompt"] = "login"
                    if has_second_factor(account):
                        params["acr_values"] = "loa2"
                return begin_interaction(
                    params,
                    FIRST_PARTY,
                    signed_in=session,
                    account=account,
                    needs_login=True,
                    step_up=False,
                )
            g.account, g.browser_session = account, session
            return view(*args, **kwargs)

        return guarded

    return decorator
