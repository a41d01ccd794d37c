"""The citizen's own pages (``/account``), signed in with the same e-ID as any portal.

Each page module adds its routes to the one ``account`` blueprint; importing them here is
what registers them.
"""

from idp.account_portal import history, services, sessions
from idp.account_portal.views import blueprint

__all__ = ["blueprint", "history", "services", "sessions"]
