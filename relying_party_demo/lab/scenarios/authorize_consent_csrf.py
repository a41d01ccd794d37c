"""RFC 6749 §10.12: "The authorization server MUST implement CSRF protection for its authorization
endpoint and ensure that a malicious client cannot obtain authorization without the awareness
and explicit consent of the resource owner." A consent decision posted without the page's
anti-CSRF token (as a forged cross-site form would be) must change nothing.
"""

from __future__ import annotations

from relying_party_demo.lab.browser import post_forms
from relying_party_demo.lab.context import ATTACKER_ORIGIN, Lab
from relying_party_demo.lab.errors import LabError

TITLE = "Consent page CSRF"
RULE = "RFC 6749 §10.12"
EXPECTED = (
    "A consent decision (decision=allow) posted without the form's CSRF token, from another "
    "origin, is refused: no redirect, no code. The same form with its token still works."
)

CSRF_MARKERS = ("csrf", "xsrf", "authenticity_token")


def run(lab: Lab) -> None:
    browser = lab.signed_in().browser
    request = lab.authorization(lab.client, prompt="consent")
    endpoint = lab.endpoint("authorization_endpoint")
    page = lab.navigate(browser, request.url(endpoint), "authorization request, prompt=consent")
    form = next((f for f in post_forms(page.response) if f.asks_consent), None)
    if form is None:
        raise LabError(f"prompt=consent showed no consent form ({page.describe()})")
    tokens = frozenset(n for n in form.preset if any(m in n.lower() for m in CSRF_MARKERS))
    lab.note(
        f"The consent form's anti-CSRF field(s): {', '.join(sorted(tokens))}."
        if tokens
        else "The consent form has no hidden anti-CSRF field: the forged post sends all fields."
    )

    forged = lab.submit(
        browser,
        form,
        {"decision": "allow"},
        "decision=allow posted without the CSRF token, from another origin",
        omit=tokens,
        headers={"Origin": ATTACKER_ORIGIN, "Referer": f"{ATTACKER_ORIGIN}/"},
    )
    callback = lab.callback_of(forged, lab.client)
    lab.check(
        callback is None or not callback.code,
        "no code is issued for the forged decision",
        callback.describe() if callback else forged.describe(),
    )
    shown_again = any(f.asks_consent for f in post_forms(forged.response))
    lab.check(
        callback is None and (400 <= forged.status < 500 or shown_again),
        "the forged post is refused (an error, or the consent page again)",
        forged.describe(),
    )
    if callback is not None and callback.code:
        return

    again = lab.navigate(browser, page.url, "control: the consent page again")
    form = next((f for f in post_forms(again.response) if f.asks_consent), None)
    if form is None:
        raise LabError(f"control: the consent page is gone after the refusal ({again.describe()})")
    done = lab.submit(browser, form, {"decision": "allow"}, "control: the form with its token")
    control = lab.callback_of(done, lab.client)
    if control is None or not control.code:
        raise LabError(
            "control: the consent form with its CSRF token did not return a code "
            f"({control.describe() if control else done.describe()})"
        )
