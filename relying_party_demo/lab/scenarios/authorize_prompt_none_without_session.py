"""OIDC Core §3.1.2.6 (and §3.1.2.1): with ``prompt=none`` "The Authorization Server MUST NOT
display any authentication or consent user interface pages. An error is returned if an End-User
is not already authenticated": ``login_required``, returned to the redirect URI with the request's
``state`` (RFC 6749 §4.1.2.1) and the ``iss`` parameter (RFC 9207 §2).
"""

from __future__ import annotations

from relying_party_demo.lab.context import Lab

TITLE = "prompt=none without a session"
RULE = "OIDC Core §3.1.2.6 (login_required); RFC 9207 §2"
EXPECTED = (
    "A browser without a session gets, at once and without any page, a redirect to the "
    "registered redirect_uri with error=login_required, the request's state and iss; no code."
)


def run(lab: Lab) -> None:
    browser = lab.new_browser()
    request = lab.authorization(lab.client, prompt="none")
    landing, callback = lab.authorize(
        browser, request, "prompt=none from a browser with no session", consent=False
    )
    lab.expect_refusal(request, landing, callback, "login_required")
