"""RFC 6749 §4.1.2.1 and RFC 6749 §3.3: a scope beyond what the client is registered for is
answered with ``invalid_scope`` ("The requested scope is invalid, unknown, or malformed").
RFC 6749 lets a server narrow a request instead; this provider's rule (DESIGN.md,
``RegisteredScopes``) is to refuse, so that a portal never believes it was granted what it was
not.
"""

from __future__ import annotations

from relying_party_demo.lab.context import Lab
from relying_party_demo.lab.errors import Skip

TITLE = "Scope beyond the client's registration"
RULE = "RFC 6749 §4.1.2.1 (invalid_scope); RFC 6749 §3.3"
EXPECTED = (
    "A request for a scope the client is not registered for is refused with "
    "error=invalid_scope, sent back with state and iss; no code is issued."
)


def run(lab: Lab) -> None:
    supported = lab.metadata.get("scopes_supported")
    registered = set(lab.client.scopes)
    candidates = [
        scope
        for scope in (supported if isinstance(supported, list) else [])
        if isinstance(scope, str) and scope not in registered
    ]
    # A claim scope is the escalation that matters; offline_access only when nothing else is.
    candidates.sort(key=lambda scope: scope == "offline_access")
    if not candidates:
        raise Skip("the client is registered for every scope the provider advertises")
    extra = candidates[0]
    lab.note(f"The client is registered for '{lab.client.scope}'; the lab adds '{extra}'.")
    request = lab.authorization(lab.client, scope=f"{lab.client.scope} {extra}")
    browser = lab.signed_in().browser
    landing, callback = lab.authorize(browser, request, f"authorization request adding {extra}")
    lab.expect_refusal(request, landing, callback, "invalid_scope")
    if callback is not None and callback.code:
        answer = lab.redeem(request, callback.code, "the code of the escalated request redeemed")
        granted = answer.body.get("scope")
        lab.note(f"The escalated code was redeemed: {answer.describe()}, scope={granted!r}.")
