"""Redirect URIs: compared by exact string (RFC 9700 §4.1.3, OIDC Core §3.1.2.1), so every near
miss gets a page and no redirect, and a registered URI with a query is honoured exactly
(conformance modules OIDCCEnsureRegisteredRedirectUri, OIDCCRedirectUriQueryOK, ...Mismatch,
...Added, ...RegFrag)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from idp.oidc.clients import RegistrationError, register_client
from tests.factories import REDIRECT_URI
from tests.integration.conftest import Flow, flow_with, query
from tests.security.conftest import ISSUER, redeem, shows_a_page

REGISTERED_WITH_QUERY = "http://127.0.0.1:5001/callback?foo=bar&x=%2Fy"
NAMED_HOST = "https://portal.example.vn/callback"

NEAR_MISSES = [
    pytest.param("http://127.0.0.1:5001/callback/", id="trailing slash"),
    pytest.param("http://127.0.0.1:5001/Callback", id="path case"),
    pytest.param("http://127.0.0.1:5001/callback/extra", id="extra path"),
    pytest.param("http://127.0.0.1:5001/callback/../callback", id="dot segments"),
    pytest.param("http://127.0.0.1:5001//callback", id="double slash"),
    pytest.param("http://127.0.0.1:5001/callbac%6B", id="percent-encoded letter"),
    pytest.param("http://127.0.0.1:5001/callback%2F", id="encoded slash"),
    pytest.param("http://127.0.0.1:5002/callback", id="other port"),
    pytest.param("http://127.0.0.1:80/callback", id="explicit default port"),
    pytest.param("http://127.0.0.1/callback", id="no port"),
    pytest.param("https://127.0.0.1:5001/callback", id="other scheme"),
    pytest.param("HTTP://127.0.0.1:5001/callback", id="scheme case"),
    pytest.param("http://127.0.0.1:5001@evil.example/callback", id="userinfo trick"),
    pytest.param("http://evil.example@127.0.0.1:5001/callback", id="userinfo prefix"),
    pytest.param("http://127.0.0.1:5001/callback?x=1", id="added query"),
    pytest.param("http://127.0.0.1:5001/callback?", id="empty query"),
    pytest.param("http://127.0.0.1:5001/callback#frag", id="fragment"),
    pytest.param("http://127.0.0.1:5001/callback#", id="empty fragment"),
    pytest.param(" http://127.0.0.1:5001/callback", id="leading space"),
    pytest.param("http://127.0.0.1:5001/callback ", id="trailing space"),
    pytest.param("http://127.0.0.1:5001/callback\t", id="trailing tab"),
    pytest.param("http://127.0.0.2:5001/callback", id="other loopback"),
    pytest.param("http://localhost:5001/callback", id="localhost for 127.0.0.1"),
    pytest.param("http://[::1]:5001/callback", id="IPv6 loopback"),
    pytest.param("//127.0.0.1:5001/callback", id="scheme-relative"),
    pytest.param("/callback", id="relative"),
    pytest.param("javascript://127.0.0.1:5001/callback", id="javascript scheme"),
    pytest.param("http://127.0.0.1:5001/callback\\@evil.example", id="backslash trick"),
]


@pytest.mark.parametrize("redirect_uri", NEAR_MISSES)
@pytest.mark.spec("OIDCC-OIDCCEnsureRegisteredRedirectUri")
def test_a_near_miss_gets_a_page_never_a_redirect(flow: Flow, redirect_uri: str) -> None:
    assert shows_a_page(flow.authorize(redirect_uri=redirect_uri))


@pytest.mark.parametrize("redirect_uri", NEAR_MISSES)
@pytest.mark.spec("RFC9700-4.1.3")
def test_a_near_miss_with_another_error_still_gets_a_page(flow: Flow, redirect_uri: str) -> None:
    """An error that would otherwise go to the portal must not go to an unverified URI."""
    for changes in ({"prompt": "none"}, {"scope": "openid vaccination"}, {"response_type": "x"}):
        assert shows_a_page(flow.authorize(redirect_uri=redirect_uri, **changes))


@pytest.fixture
def named_host(app: Flask) -> Iterator[Flow]:
    yield from flow_with(app, redirect_uri=NAMED_HOST)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://PORTAL.example.vn/callback",
        "https://portal.example.vn./callback",
        "https://portal.example.vn:443/callback",
        "https://portal.example.vn.evil.example/callback",
        "https://evil.example/portal.example.vn/callback",
        "https://portal.example.vn@evil.example/callback",
        "https://xn--portal-example-vn/callback",
    ],
)
@pytest.mark.spec("RFC9700-4.1.3")
def test_a_named_host_is_matched_exactly(named_host: Flow, redirect_uri: str) -> None:
    assert shows_a_page(named_host.authorize(redirect_uri=redirect_uri))
    assert "code" in named_host.code(nonce="the-exact-uri-works-1")


@pytest.fixture
def query_flow(app: Flask) -> Iterator[Flow]:
    yield from flow_with(app, redirect_uri=REGISTERED_WITH_QUERY)


@pytest.mark.spec("OIDCC-OIDCCRedirectUriQueryOK")
def test_a_registered_query_is_kept_and_the_response_added_to_it(query_flow: Flow) -> None:
    callback = query_flow.code()
    assert callback["foo"] == "bar"
    assert callback["x"] == "/y"
    assert callback["state"] == "state-1234567890"
    assert callback["iss"] == ISSUER
    tokens = redeem(query_flow, callback)
    assert tokens["token_type"] == "Bearer"


@pytest.mark.spec("OIDCC-OIDCCRedirectUriQueryOK")
def test_errors_go_to_the_registered_uri_with_its_query(query_flow: Flow) -> None:
    response = query_flow.authorize(prompt="none")
    location = response.headers["Location"]
    assert location.startswith(REGISTERED_WITH_QUERY + "&")
    callback = query(location)
    assert callback["foo"] == "bar"
    assert callback["error"] == "login_required"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        pytest.param("http://127.0.0.1:5001/callback?foo=baz&x=%2Fy", id="other value"),
        pytest.param("http://127.0.0.1:5001/callback?x=%2Fy&foo=bar", id="other order"),
        pytest.param("http://127.0.0.1:5001/callback?foo=bar&x=/y", id="decoded"),
        pytest.param("http://127.0.0.1:5001/callback?foo=bar", id="fewer"),
        pytest.param(REGISTERED_WITH_QUERY + "&extra=1", id="more"),
        pytest.param("http://127.0.0.1:5001/callback", id="none"),
    ],
)
@pytest.mark.spec("OIDCC-OIDCCRedirectUriQueryMismatch")
def test_a_different_query_gets_a_page(query_flow: Flow, redirect_uri: str) -> None:
    assert shows_a_page(query_flow.authorize(redirect_uri=redirect_uri))


@pytest.mark.spec("OIDCC-OIDCCRedirectUriQueryAdded")
def test_a_query_added_to_a_registered_uri_gets_a_page(flow: Flow) -> None:
    assert shows_a_page(flow.authorize(redirect_uri=REDIRECT_URI + "?foo=bar"))


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://portal.example.vn/callback#frag",
        "https://portal.example.vn/callback#",
        "portal.example.vn/callback",
        "ftp://portal.example.vn/callback",
        "javascript:alert(1)",
        "http://portal.example.vn/callback",
    ],
)
@pytest.mark.spec("OIDCC-OIDCCRedirectUriRegFrag")
def test_registration_refuses_fragments_and_unsafe_uris(app: Flask, redirect_uri: str) -> None:
    with app.app_context(), pytest.raises(RegistrationError):
        register_client(name="Portal", redirect_uris=[redirect_uri], scope="openid")


@pytest.mark.parametrize(
    "redirect_uri", ["http://127.0.0.1:5001/callback/", REDIRECT_URI + "?x=1", None]
)
@pytest.mark.spec("RFC6749-4.1.3")
def test_the_token_request_must_repeat_the_exact_redirect_uri(
    flow: Flow, redirect_uri: str | None
) -> None:
    refused = flow.redeem(flow.code()["code"], redirect_uri=redirect_uri)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_grant"
