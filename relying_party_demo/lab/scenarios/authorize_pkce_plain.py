"""RFC 7636 §4.4.1: "If the server supporting PKCE does not support the requested transformation,
the authorization endpoint MUST return the authorization error response with "error" value set to
"invalid_request"." RFC 9700 §2.1.1: S256 is the method that does not expose the verifier in the
authorization request; this provider advertises S256 only (code_challenge_methods_supported).
"""

from __future__ import annotations

import secrets

from relying_party_demo.lab.context import Lab

TITLE = "PKCE with the plain method"
RULE = "RFC 7636 §4.4.1; RFC 9700 §2.1.1"
EXPECTED = (
    "code_challenge_method=plain is refused with error=invalid_request, sent back to the "
    "registered redirect_uri with state and iss; no code is issued."
)


def run(lab: Lab) -> None:
    methods = lab.metadata.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "plain" in methods:
        lab.note("The provider advertises plain in code_challenge_methods_supported.")
    verifier = secrets.token_urlsafe(48)
    request = lab.authorization(
        lab.client, pkce=False, code_challenge=verifier, code_challenge_method="plain"
    )
    browser = lab.signed_in().browser
    landing, callback = lab.authorize(browser, request, "authorization request with plain PKCE")
    lab.expect_refusal(request, landing, callback, "invalid_request")
    if callback is not None and callback.code:
        answer = lab.redeem(
            request,
            callback.code,
            "the code redeemed with the plain verifier",
            code_verifier=verifier,
        )
        lab.note(f"The code issued for plain PKCE was then redeemed: {answer.describe()}.")
