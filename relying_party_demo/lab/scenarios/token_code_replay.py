"""RFC 6749 §4.1.2: "The client MUST NOT use the authorization code more than once. If an
authorization code is used more than once, the authorization server MUST deny the request and
SHOULD revoke (when possible) all tokens previously issued based on that authorization code."
See also RFC 9700 §4.5 (authorization code injection) and OIDC Core §3.1.3.2.
"""

from __future__ import annotations

from relying_party_demo.lab.context import Lab
from relying_party_demo.lab.errors import LabError

TITLE = "Authorization-code replay"
RULE = "RFC 6749 §4.1.2"
EXPECTED = (
    "A code is redeemed once: the second redemption is refused with invalid_grant, and the access "
    "token the first one issued is revoked (userinfo answers 401)."
)


def run(lab: Lab) -> None:
    browser = lab.signed_in().browser
    request = lab.authorization(lab.client)
    _, code = lab.obtain_code(browser, request, "authorization request")
    first = lab.redeem(request, code, "first redemption of the code")
    if first.status != 200 or not first.access_token:
        raise LabError(f"the first redemption of a fresh code failed: {first.describe()}")
    before = lab.userinfo(first.access_token, "userinfo with the first access token")
    if before.status_code != 200:
        raise LabError(f"userinfo refused a fresh access token: HTTP {before.status_code}")

    second = lab.redeem(request, code, "the same code redeemed again")
    lab.check(
        second.refused and second.error == "invalid_grant",
        "the replayed code is refused with invalid_grant",
        second.describe(),
    )
    after = lab.userinfo(
        first.access_token, "userinfo with the first access token after the replay"
    )
    lab.check(
        after.status_code == 401,
        "the tokens issued for the code are revoked: userinfo answers 401",
        f"HTTP {after.status_code}",
    )
