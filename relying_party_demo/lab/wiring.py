"""What ``idp demo`` needs to switch the lab on: a second client registered for the lab, and the
``LAB_*`` variables for the portal. The portal talks to the provider over HTTP only, so nothing
here imports the provider: the sandbox passes in its own ``register`` function.

In ``idp/sandbox.py``, after the demo portal is registered::

    from relying_party_demo.lab import wiring

    def register(request: wiring.ClientRequest) -> tuple[str, str]:
        made = register_client(
            name=request.name,
            redirect_uris=list(request.redirect_uris),
            scope=request.scope,
            post_logout_redirect_uris=list(request.post_logout_redirect_uris),
        )
        assert made.client_secret is not None
        return made.client.client_id, made.client_secret

    lab_environ = wiring.lab_environ(
        portal_url,
        register,
        portal_scope=PORTAL_SCOPE,
        citizen=wiring.LabAccount(first.record.citizen_id, first.password, first.totp_secret),
        second_citizen=wiring.LabAccount(...),
    )

and add ``lab_environ`` to the portal's environment (keep the registration with the demo
portal's in the instance folder, so that restarts reuse it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from relying_party_demo.lab.config import SECOND_REDIRECT_PATH, SECOND_SCOPE

SECOND_CLIENT_NAME = "Security lab (second client)"


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """How the lab's second client is to be registered (``client_secret_basic``, pairwise)."""

    name: str
    redirect_uris: tuple[str, ...]
    scope: str
    post_logout_redirect_uris: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LabAccount:
    """A sandbox account the lab signs in with."""

    citizen_id: str
    password: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)


def second_client_request(portal_url: str) -> ClientRequest:
    """The lab's second client: ``openid profile offline_access`` (refresh-token scenarios),
    redirect URI ``{portal}/lab/callback``, which the lab reads but never follows."""
    base = portal_url.rstrip("/")
    return ClientRequest(
        name=SECOND_CLIENT_NAME,
        redirect_uris=(base + SECOND_REDIRECT_PATH,),
        scope=SECOND_SCOPE,
        post_logout_redirect_uris=(base + "/lab/",),
    )


def lab_environ(
    portal_url: str,
    register: Callable[[ClientRequest], tuple[str, str]],
    *,
    portal_scope: str,
    citizen: LabAccount,
    second_citizen: LabAccount | None = None,
    second_client: tuple[str, str] | None = None,
) -> dict[str, str]:
    """The ``LAB_*`` variables for the portal. ``portal_scope`` is everything the portal is
    registered for (``RP_SCOPE`` may ask for less; the scope-escalation scenario asks for more).
    ``register`` registers the second client and returns its ``(client_id, client_secret)``;
    pass ``second_client`` instead to reuse one."""
    request = second_client_request(portal_url)
    client_id, client_secret = second_client or register(request)
    environ = {
        "LAB_SCOPE": " ".join(portal_scope.split()),
        "LAB_CITIZEN_ID": citizen.citizen_id,
        "LAB_PASSWORD": citizen.password,
        "LAB_TOTP_SECRET": citizen.totp_secret or "",
        "LAB_SECOND_CLIENT_ID": client_id,
        "LAB_SECOND_CLIENT_SECRET": client_secret,
        "LAB_SECOND_REDIRECT_URI": request.redirect_uris[0],
        "LAB_SECOND_SCOPE": request.scope,
    }
    if second_citizen is not None:
        environ.update(
            LAB_SECOND_CITIZEN_ID=second_citizen.citizen_id,
            LAB_SECOND_PASSWORD=second_citizen.password,
            LAB_SECOND_TOTP_SECRET=second_citizen.totp_secret or "",
        )
    return environ
