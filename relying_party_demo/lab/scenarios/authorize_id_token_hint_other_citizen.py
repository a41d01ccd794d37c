"""OIDC Core §3.1.2.1 (``id_token_hint``): "If the End-User identified by the ID Token is logged
in or is logged in by the request, then the Authorization Server returns a positive response;
otherwise, it SHOULD return an error, such as login_required." With ``prompt=none`` no page
may be shown (OIDC Core §3.1.2.6), so the answer is ``login_required``; a code is never issued
for a citizen other than the one the hint names.
"""

from __future__ import annotations

from relying_party_demo.lab.context import Lab
from relying_party_demo.lab.errors import LabError

TITLE = "id_token_hint naming another citizen"
RULE = "OIDC Core §3.1.2.1 (id_token_hint); OIDC Core §3.1.2.6"
EXPECTED = (
    "In a browser where citizen A is signed in, prompt=none with citizen B's ID token as "
    "id_token_hint gets error=login_required (with state and iss), never a code; without "
    "prompt=none no code is issued for A either."
)


def run(lab: Lab) -> None:
    other = lab.signed_in(lab.second_citizen)
    signed_in = lab.signed_in()
    theirs, own = other.tokens.id_token, signed_in.tokens.id_token
    if not theirs or not own:
        raise LabError("the provider issued no ID token to sign the citizens in with")
    browser = signed_in.browser

    control = lab.authorization(lab.client, prompt="none", id_token_hint=own)
    _, answer = lab.authorize(
        browser, control, "control: prompt=none with the citizen's own ID token", consent=False
    )
    if answer is None or not answer.code:
        raise LabError(
            "control: prompt=none with the signed-in citizen's own ID token did not return a "
            f"code ({answer.describe() if answer else 'no redirect'})"
        )

    request = lab.authorization(lab.client, prompt="none", id_token_hint=theirs)
    landing, callback = lab.authorize(
        browser, request, "prompt=none with another citizen's ID token", consent=False
    )
    lab.expect_refusal(request, landing, callback, "login_required")

    interactive = lab.authorization(lab.client, id_token_hint=theirs)
    landing, callback = lab.authorize(
        browser, interactive, "the same hint without prompt=none", consent=False
    )
    lab.check(
        callback is None or not callback.code,
        "without prompt=none, no code is issued for the citizen who is signed in",
        callback.describe() if callback else landing.describe(),
    )
