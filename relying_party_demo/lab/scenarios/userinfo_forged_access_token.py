"""RFC 6750 §3.1: a request with an access token that is "expired, revoked, malformed, or invalid
for other reasons" is answered ``invalid_token`` with HTTP 401, and (§3) a ``WWW-Authenticate:
Bearer`` challenge. RFC 9068 §4: a JWT access token is validated by its signature with the
issuer's keys and its ``exp``.

An access token that expired by itself cannot be produced quickly (its lifetime is minutes), so
the lab presents what an attacker can make: an expired JWT signed with the lab's own key under
the provider's ``kid``, an unsigned one (``alg: none``), and the genuine token with its ``exp``
pushed a day ahead under the original signature.
"""

from __future__ import annotations

import secrets
import time

from relying_party_demo.lab import forgery
from relying_party_demo.lab.context import Lab
from relying_party_demo.lab.errors import LabError
from relying_party_demo.lab.protocol import json_part

TITLE = "Forged and expired access tokens at userinfo"
RULE = "RFC 6750 §3.1 (invalid_token); RFC 9068 §4"
EXPECTED = (
    "Userinfo answers 401 with a WWW-Authenticate: Bearer challenge to an expired JWT, an "
    "unsigned JWT, and a genuine token with altered claims."
)


def run(lab: Lab) -> None:
    genuine = lab.signed_in().tokens.access_token
    if not genuine:
        raise LabError("the sign-in issued no access token")
    control = lab.userinfo(genuine, "control: userinfo with the genuine access token")
    if control.status_code != 200:
        raise LabError(f"userinfo refused a genuine access token: HTTP {control.status_code}")

    now = int(time.time())
    if json_part(genuine, 1):
        template = genuine
    else:
        lab.note("The access token is not a JWT: the forgeries copy the shape of an RFC 9068 one.")
        template = forgery.unsigned(
            "e30.e30.",
            iss=lab.issuer,
            sub="lab-forged-subject",
            aud=f"{lab.issuer}/userinfo",
            client_id=lab.client.client_id,
            scope=lab.client.scope,
        )
    forged = [
        (
            "an expired JWT signed with a lab key under the provider's kid",
            forgery.signed_with_lab_key(
                template, iat=now - 7200, exp=now - 3600, jti=secrets.token_urlsafe(12)
            ),
        ),
        (
            "an unsigned JWT (alg: none) that has not expired",
            forgery.unsigned(template, iat=now, exp=now + 600, jti=secrets.token_urlsafe(12)),
        ),
    ]
    if template is genuine:
        forged.append(
            (
                "the genuine token with exp a day later and its original signature",
                forgery.altered(genuine, exp=now + 86400),
            )
        )
    for name, token in forged:
        lab.run.masker.secret(token)
        answer = lab.userinfo(token, f"userinfo with {name}")
        challenge = answer.headers.get("WWW-Authenticate", "")
        lab.check(
            answer.status_code == 401 and challenge.lower().startswith("bearer"),
            f"{name}: 401 with a Bearer challenge",
            f"HTTP {answer.status_code}, WWW-Authenticate: {challenge or '(none)'}",
        )
