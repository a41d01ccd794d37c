"""RFC 9700 §4.14.2 (refresh token rotation): "If a refresh token is compromised and subsequently
used by both the attacker and the legitimate client, one of them will present an invalidated
refresh token, which will inform the authorization server of the breach. The authorization
server cannot determine which party submitted the invalid refresh token, but it will revoke the
active refresh token." See also RFC 6749 §10.4.
"""

from __future__ import annotations

from relying_party_demo.lab.context import Lab
from relying_party_demo.lab.errors import LabError, Skip

TITLE = "Refresh-token reuse after rotation"
RULE = "RFC 9700 §4.14.2; RFC 6749 §10.4"
EXPECTED = (
    "Each refresh returns a new refresh token; presenting the rotated one again is refused with "
    "invalid_grant and revokes the family, so the newest refresh token is refused too."
)


def run(lab: Lab) -> None:
    client = lab.second_client
    if "offline_access" not in client.scopes:
        raise Skip("the second client is not registered for offline_access (LAB_SECOND_SCOPE)")
    browser = lab.signed_in().browser
    # OIDC Core §11: offline access is asked with prompt=consent.
    request = lab.authorization(client, prompt="consent")
    _, code = lab.obtain_code(browser, request, "authorization request with offline_access")
    first = lab.redeem(request, code, "code exchange")
    if not first.refresh_token:
        raise LabError(f"no refresh token for a grant with offline_access: {first.describe()}")
    rotated = lab.refresh(client, first.refresh_token, "refresh with the first refresh token")
    if rotated.status != 200 or not rotated.access_token:
        raise LabError(f"a fresh refresh token was refused: {rotated.describe()}")
    lab.check(
        rotated.refresh_token is not None and rotated.refresh_token != first.refresh_token,
        "the refresh rotates the refresh token",
        "a new refresh token" if rotated.refresh_token else "no new refresh token",
    )

    reused = lab.refresh(client, first.refresh_token, "the first refresh token again (reuse)")
    lab.check(
        reused.refused and reused.error == "invalid_grant",
        "the rotated-out refresh token is refused with invalid_grant",
        reused.describe(),
    )
    if rotated.refresh_token and rotated.refresh_token != first.refresh_token:
        newest = lab.refresh(client, rotated.refresh_token, "the newest refresh token, after reuse")
        lab.check(
            newest.refused and newest.error == "invalid_grant",
            "the reuse revoked the family: the newest refresh token is refused too",
            newest.describe(),
        )
    after = lab.userinfo(rotated.access_token, "userinfo with the refreshed access token")
    lab.note(
        f"After the reuse, the refreshed access token gets HTTP {after.status_code} at userinfo "
        "(RFC 9700 §4.14.2 requires revoking the refresh tokens; this provider revokes the "
        "family's access tokens too)."
    )
