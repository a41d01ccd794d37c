"""RFC 6749 §4.1.3: the authorization server MUST "ensure that the authorization code was issued
to the authenticated confidential client" (and §10.5: codes are bound to the client). A code
stolen from one portal, with its PKCE verifier, must not be redeemable by another.
"""

from __future__ import annotations

from relying_party_demo.lab.context import Lab

TITLE = "Authorization code redeemed by another client"
RULE = "RFC 6749 §4.1.3"
EXPECTED = (
    "The second client, authenticated with its own secret, is refused with invalid_grant when it "
    "presents the first client's code (with that code's redirect_uri and code_verifier)."
)


def run(lab: Lab) -> None:
    other = lab.second_client
    browser = lab.signed_in().browser
    request = lab.authorization(lab.client)
    _, code = lab.obtain_code(browser, request, "authorization request of the first client")
    stolen = lab.redeem(request, code, "the code redeemed by the second client", client=other)
    lab.check(
        stolen.refused and stolen.error == "invalid_grant",
        "the other client's redemption is refused with invalid_grant",
        stolen.describe(),
    )
