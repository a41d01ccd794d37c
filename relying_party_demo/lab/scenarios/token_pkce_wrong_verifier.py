"""RFC 7636 §4.6: the server compares the transformed ``code_verifier`` with the
``code_challenge``; "If the values are not equal, an error response indicating "invalid_grant"
as described in Section 5.2 of [RFC6749] MUST be returned."
"""

from __future__ import annotations

import secrets

from relying_party_demo.lab.context import Lab

TITLE = "Wrong PKCE code_verifier"
RULE = "RFC 7636 §4.6"
EXPECTED = (
    "A code redeemed with a code_verifier that does not match its S256 challenge is refused with "
    "invalid_grant, and no token is issued."
)


def run(lab: Lab) -> None:
    browser = lab.signed_in().browser
    request = lab.authorization(lab.client)
    _, code = lab.obtain_code(browser, request, "authorization request (S256 challenge)")
    wrong = lab.redeem(
        request,
        code,
        "redemption with another code_verifier",
        code_verifier=secrets.token_urlsafe(48),
    )
    lab.check(
        wrong.refused and wrong.error == "invalid_grant",
        "the mismatching code_verifier is refused with invalid_grant",
        wrong.describe(),
    )
