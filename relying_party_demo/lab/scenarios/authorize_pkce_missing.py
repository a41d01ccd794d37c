"""RFC 7636 §4.4.1: "If the server requires Proof Key for Code Exchange (PKCE) by OAuth public
clients and the client does not send the "code_challenge" in the request, the authorization
endpoint MUST return the authorization error response with the "error" value set to
"invalid_request"." RFC 9700 §2.1.1: authorization servers MUST support PKCE, and this provider
requires it of every client.
"""

from __future__ import annotations

from relying_party_demo.lab.context import Lab

TITLE = "Authorization request without PKCE"
RULE = "RFC 7636 §4.4.1; RFC 9700 §2.1.1"
EXPECTED = (
    "The request is refused with error=invalid_request, sent back to the registered redirect_uri "
    "with state and iss; no code is issued."
)


def run(lab: Lab) -> None:
    browser = lab.signed_in().browser
    request = lab.authorization(lab.client, pkce=False)
    landing, callback = lab.authorize(browser, request, "authorization request without PKCE")
    lab.expect_refusal(request, landing, callback, "invalid_request")
    if callback is not None and callback.code:
        answer = lab.redeem(request, callback.code, "the code redeemed without code_verifier")
        lab.note(f"The code issued without PKCE was then redeemed: {answer.describe()}.")
