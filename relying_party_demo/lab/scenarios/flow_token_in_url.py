"""RFC 6750 §5.3: "Bearer tokens SHOULD NOT be passed in page URLs"; RFC 9700 §2.1.2 (no implicit
grant: "the authorization server SHOULD NOT" issue access tokens in the authorization response)
and §4.3.2 (leakage through browser history); OIDC Core §3.1.2.5: the code flow returns only a
code, to the redirect URI.

The lab inspects every URL the provider led its browsers to in this run (redirect targets, the
pages reached, form actions) and every ``Location`` header it sent, after a full flow: sign-in,
one-time code and consent pages, redirect, code exchange, userinfo.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from relying_party_demo.lab.context import Lab
from relying_party_demo.lab.errors import LabError
from relying_party_demo.lab.protocol import without_query

TITLE = "No token in a URL"
RULE = "RFC 6750 §5.3; RFC 9700 §2.1.2; OIDC Core §3.1.2.5"
EXPECTED = (
    "No access, refresh or ID token ever appears in a Location header or a page URL; the code "
    "appears only in the redirect to the registered redirect_uri."
)

TOKEN_PARAMETERS = ("access_token", "refresh_token", "id_token")


def run(lab: Lab) -> None:
    signed_in = lab.signed_in()
    request = lab.authorization(lab.client, prompt="consent")
    _, code = lab.obtain_code(signed_in.browser, request, "a full flow through the consent page")
    answer = lab.redeem(request, code, "code exchange")
    if not answer.access_token:
        raise LabError(f"the code exchange issued no access token: {answer.describe()}")
    lab.userinfo(answer.access_token, "userinfo")

    urls: list[tuple[str, str]] = []
    for browser in lab.run.browsers:
        for visit in browser.history:
            if not visit.by_lab:
                urls.append(("page URL", visit.url))
            if visit.location:
                urls.append(("Location header", visit.location))
    masked = lab.run.masker.url

    token_leaks = [
        f"{where} {masked(url)}"
        for where, url in urls
        if any(token in url for token in lab.run.tokens) or _names_a_token(url)
    ]
    lab.check(
        not token_leaks,
        "no access, refresh or ID token in a Location header or page URL",
        "; ".join(token_leaks) or f"{len(urls)} URLs inspected, none carries a token",
    )

    code_leaks = []
    redirects = 0
    for where, url in urls:
        for issued, client in lab.run.codes_issued.items():
            if issued not in url:
                continue
            parts = urlsplit(url)
            proper = (
                where == "Location header"
                and without_query(url) == without_query(client.redirect_uri)
                and dict(parse_qsl(parts.query)).get("code") == issued
            )
            if proper:
                redirects += 1
            else:
                code_leaks.append(f"{where} {masked(url)}")
    lab.check(
        not code_leaks and redirects > 0,
        "codes appear only in the redirect to the registered redirect_uri",
        "; ".join(code_leaks) or f"{redirects} code redirects, each to the registered redirect_uri",
    )


def _names_a_token(url: str) -> bool:
    parts = urlsplit(url)
    names = {name for name, _ in parse_qsl(parts.query) + parse_qsl(parts.fragment)}
    return any(name in names for name in TOKEN_PARAMETERS)
