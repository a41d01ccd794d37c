"""RFC 6749 §3.1.2.4: "If an authorization request fails validation due to a missing, invalid,
or mismatching redirection URI, the authorization server SHOULD inform the resource owner of the
error and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
RFC 9700 §4.1.3 and §2.1: redirect URIs are compared by exact string matching, so every near miss
is a mismatch.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from relying_party_demo.lab.context import ATTACKER_ORIGIN, Lab

TITLE = "redirect_uri tampering (near misses)"
RULE = "RFC 6749 §3.1.2.4; RFC 9700 §4.1.3"
EXPECTED = (
    "Every near miss of the registered redirect_uri (trailing slash, extra path, other port, "
    "added query, userinfo@ host swap, other scheme) gets an error page at the provider, and "
    "never a redirect, even for a citizen who is signed in and has consented."
)


def near_misses(registered: str) -> list[tuple[str, str]]:
    parts = urlsplit(registered)
    scheme, host, path, query = parts.scheme, parts.hostname or "", parts.path, parts.query
    port = parts.port or (443 if scheme == "https" else 80)
    shown_host = f"[{host}]" if ":" in host else host
    attacker_host = urlsplit(ATTACKER_ORIGIN).netloc
    other_scheme = "http" if scheme == "https" else "https"

    def build(netloc: str = parts.netloc, new_path: str = path, new_query: str = query) -> str:
        return urlunsplit((scheme, netloc, new_path, new_query, ""))

    return [
        ("a trailing slash", build(new_path=path[:-1] if path.endswith("/") else f"{path}/")),
        ("an extra path segment", build(new_path=f"{path.rstrip('/')}/extra")),
        ("a different port", build(netloc=f"{shown_host}:{port + 1}")),
        (
            "an added query",
            build(
                new_query=f"{query}&next={ATTACKER_ORIGIN}" if query else f"next={ATTACKER_ORIGIN}"
            ),
        ),
        ("a userinfo@ host swap", build(netloc=f"{parts.netloc}@{attacker_host}")),
        ("another scheme", urlunsplit((other_scheme, parts.netloc, path, query, ""))),
    ]


def run(lab: Lab) -> None:
    browser = lab.signed_in().browser
    control = lab.authorization(lab.client)
    lab.obtain_code(browser, control, "control: the registered redirect_uri gets a code")
    endpoint = lab.endpoint("authorization_endpoint")
    for name, uri in near_misses(lab.client.redirect_uri):
        request = lab.authorization(lab.client, redirect_uri=uri)
        landing = lab.navigate(browser, request.url(endpoint), f"redirect_uri with {name}")
        where = (
            f"redirect to {lab.run.masker.url(landing.location)}"
            if landing.location is not None
            else f"HTTP {landing.status} page at the provider"
        )
        lab.check(
            landing.location is None and 400 <= landing.status < 500,
            f"{name} ({uri}): an error page, no redirect",
            where,
        )
