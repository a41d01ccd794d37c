"""The Config OP plan (``oidcc-config-certification-test-plan``: OIDCCDiscoveryEndpointVerification)
and the discovery modules of the logout plans, checked as the suite checks them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from idp.oidc.discovery import provider_metadata
from tests.integration.conftest import Flow
from tests.security.conftest import ISSUER

#: RFC 6749 §3.3 scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")
#: BCP 47 in its canonical casing: language lower case, region upper case.
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


def _metadata(flow: Flow) -> dict[str, Any]:
    response = flow.browser.get("/.well-known/openid-configuration")
    assert response.status_code == 200  # EnsureDiscoveryEndpointResponseStatusCodeIs200
    assert response.mimetype == "application/json"  # CheckDiscoveryEndpointReturnedJsonContentType
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.spec("OIDCC-OIDCCDiscoveryEndpointVerification")
def test_discovery_endpoint_verification(flow: Flow) -> None:
    metadata = _metadata(flow)
    # CheckDiscEndpointIssuer, CheckDiscEndpointDiscoveryUrl, CheckDiscEndpointIssuerIsValidUrl
    assert metadata["issuer"] == ISSUER
    assert re.fullmatch(r"https?://[^?#]+", metadata["issuer"])
    # OIDCCCheckDiscEndpointResponseTypesSupported: at least one OIDC response type.
    assert "code" in metadata["response_types_supported"]
    # CheckDiscEndpointSubjectTypesSupported
    assert set(metadata["subject_types_supported"]) & {"public", "pairwise"}
    # OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported: RS256 is required.
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert "none" not in metadata["id_token_signing_alg_values_supported"]
    # CheckDiscEndpointAuthorizationEndpoint, ...TokenEndpoint, ...UserinfoEndpoint
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint"):
        assert metadata[endpoint].startswith(ISSUER + "/")
    assert "registration_endpoint" not in metadata  # checked only when present
    # OIDCCCheckDiscEndpointClaimsSupported (WARNING when absent)
    assert "sub" in metadata["claims_supported"]
    # OIDCCCheckDiscEndpointGrantTypesSupported: a non-empty array when present.
    assert metadata["grant_types_supported"]
    assert "authorization_code" in metadata["grant_types_supported"]
    # CheckDiscEndpointScopesSupportedContainsOpenId, ...ScopesSupportedSyntax
    assert "openid" in metadata["scopes_supported"]
    for scope in metadata["scopes_supported"]:
        assert SCOPE_TOKEN.fullmatch(scope), scope
    # CheckDiscEndpointLocalesSyntax, ...LocalesCanonicalCasing (WARNING)
    for tag in metadata.get("ui_locales_supported", []) + metadata.get(
        "claims_locales_supported", []
    ):
        assert LANGUAGE_TAG.fullmatch(tag), tag
    # EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    # Request objects are INFO only; when absent the request-object modules still run and
    # get request_not_supported (test_conformance_basic).
    assert "request_object_signing_alg_values_supported" not in metadata


@pytest.mark.spec("OIDCC-OIDCCDiscoveryEndpointVerification")
def test_server_jwks(flow: Flow) -> None:
    """CheckJwksUri, FetchServerKeys, ValidateServerJWKs, CheckForKeyIdInServerJWKs,
    EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys."""
    metadata = _metadata(flow)
    assert metadata["jwks_uri"] == f"{ISSUER}/jwks.json"
    response = flow.browser.get("/jwks.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    published = response.get_json()["keys"]
    assert published
    kids = [key["kid"] for key in published]
    assert len(kids) == len(set(kids))
    for key in published:
        assert key["kty"] in ("EC", "RSA", "OKP")
        assert not PRIVATE_MEMBERS & set(key), key["kid"]
        assert key["use"] == "sig"
        assert key["alg"] in metadata["id_token_signing_alg_values_supported"]


@pytest.mark.spec("OIDCC-CheckDiscEndpointAllEndpointsAreHttps")
def test_every_endpoint_is_https_under_an_https_issuer() -> None:
    """The test issuer is http on loopback; production refuses an http issuer (``config``), and
    every advertised URL derives from the issuer."""
    metadata = provider_metadata("https://id.example.vn")
    urls = {k: v for k, v in metadata.items() if k.endswith(("_endpoint", "_uri"))}
    assert urls
    for name, url in urls.items():
        assert url.startswith("https://id.example.vn/"), name


@pytest.mark.spec("OIDCC-OIDCCRpInitiatedLogoutDiscoveryEndpointVerification")
def test_rp_initiated_logout_discovery(flow: Flow) -> None:
    assert _metadata(flow)["end_session_endpoint"] == f"{ISSUER}/logout"


@pytest.mark.spec("OIDCC-OIDCCBackchannelLogoutDiscoveryEndpointVerification")
def test_backchannel_logout_discovery(flow: Flow) -> None:
    metadata = _metadata(flow)
    assert metadata["backchannel_logout_supported"] is True
    # Certification requires sid in the ID token and logout token.
    assert metadata["backchannel_logout_session_supported"] is True
    assert metadata["end_session_endpoint"] == f"{ISSUER}/logout"


@pytest.mark.spec("OIDCC-OIDCCFormPost")
def test_form_post_is_advertised(flow: Flow) -> None:
    assert "form_post" in _metadata(flow)["response_modes_supported"]
