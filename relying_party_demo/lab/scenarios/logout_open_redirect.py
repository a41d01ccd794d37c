"""OpenID Connect RP-Initiated Logout 1.0 §3: "the OP MUST NOT perform post-logout redirection
if the post_logout_redirect_uri value supplied does not exactly match one of the previously
registered post_logout_redirect_uris values" (§2: the URI "MUST have been previously registered
with the OP"). Otherwise the end-session endpoint is an open redirector
(RFC 9700 §4.11).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from relying_party_demo.lab.context import ATTACKER_ORIGIN, Lab

TITLE = "Open redirect through logout"
RULE = "OpenID Connect RP-Initiated Logout 1.0 §3; RFC 9700 §4.11"
EXPECTED = (
    "An unregistered post_logout_redirect_uri (named with client_id, with id_token_hint, with "
    "neither, or as a userinfo@ trick on the portal's own origin) gets an error page at the "
    "provider and never a redirect."
)


def run(lab: Lab) -> None:
    endpoint = lab.endpoint("end_session_endpoint")
    hint = lab.signed_in().tokens.id_token
    portal = urlsplit(lab.client.redirect_uri)
    attacker = f"{ATTACKER_ORIGIN}/after-logout"
    variants: list[tuple[str, dict[str, str]]] = [
        ("an unregistered URI and client_id", {"client_id": lab.client.client_id}),
        ("an unregistered URI and no client", {}),
        (
            "a userinfo@ trick on the portal's origin",
            {
                "client_id": lab.client.client_id,
                "post_logout_redirect_uri": (
                    f"{portal.scheme}://{portal.netloc}@{urlsplit(ATTACKER_ORIGIN).netloc}/"
                ),
            },
        ),
    ]
    if hint:
        variants.insert(1, ("an unregistered URI and id_token_hint", {"id_token_hint": hint}))
    for name, params in variants:
        query = {"post_logout_redirect_uri": attacker, "state": secrets.token_urlsafe(8), **params}
        separator = "&" if urlsplit(endpoint).query else "?"
        # A browser of its own: a provider that wrongly logs out must not end the lab's session.
        browser = lab.new_browser()
        landing = lab.navigate(
            browser, f"{endpoint}{separator}{urlencode(query)}", f"logout with {name}"
        )
        where = (
            f"redirect to {lab.run.masker.url(landing.location)}"
            if landing.location is not None
            else f"HTTP {landing.status} page at the provider"
        )
        lab.check(
            landing.location is None and 400 <= landing.status < 500,
            f"{name}: an error page, no redirect",
            where,
        )
