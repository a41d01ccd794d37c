"""RFC 9700 §4.8.2 (PKCE downgrade attack): an attacker who strips PKCE from the exchange must
gain nothing; RFC 7636 §4.6 (with §4.5): when a challenge was sent with the authorization
request, the token request must carry the matching ``code_verifier``, or be refused.
"""

from __future__ import annotations

from relying_party_demo.lab.context import Lab

TITLE = "PKCE downgrade: challenge at authorize, no verifier at token"
RULE = "RFC 9700 §4.8.2; RFC 7636 §4.6"
EXPECTED = (
    "A code whose request carried an S256 code_challenge is refused (invalid_grant or "
    "invalid_request) when redeemed without a code_verifier."
)


def run(lab: Lab) -> None:
    browser = lab.signed_in().browser
    request = lab.authorization(lab.client)
    _, code = lab.obtain_code(browser, request, "authorization request (S256 challenge)")
    stripped = lab.redeem(request, code, "redemption without code_verifier", code_verifier=None)
    lab.check(
        stripped.refused and stripped.error in ("invalid_grant", "invalid_request"),
        "the redemption without code_verifier is refused",
        stripped.describe(),
    )
