"""OpenID Connect Discovery 1.0 §3 provider metadata, read from what the code enforces: the
claims catalogue, the checks, the grants and client authentication, the key store."""

from __future__ import annotations

from typing import Any

from idp.consent.catalogue import SCOPES, supported_claims
from idp.keys.store import SUPPORTED_ALGS
from idp.oidc.checks import PROMPTS, RESPONSE_MODES
from idp.oidc.client_auth import ASSERTION_ALGS
from idp.oidc.clients import AUTH_METHODS, SUBJECT_TYPES
from idp.oidc.refresh import RefreshGrant
from idp.oidc.server import CodeGrant, S256CodeChallenge
from idp.oidc.token_endpoints import Introspection, Revocation
from idp.pages import LOCALES

# The levels the sign-in pages reach: password (loa1); password and TOTP or a passkey, or a
# verified passkey alone (loa2); a verified passkey on an account proven in person (loa3).
ISSUED_ACRS = ("loa1", "loa2", "loa3")


def provider_metadata(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "end_session_endpoint": f"{issuer}/logout",
        "introspection_endpoint": f"{issuer}/introspect",
        "revocation_endpoint": f"{issuer}/revoke",
        "jwks_uri": f"{issuer}/jwks.json",
        "scopes_supported": list(SCOPES),
        "response_types_supported": sorted(CodeGrant.RESPONSE_TYPES),
        "response_modes_supported": list(RESPONSE_MODES),
        "prompt_values_supported": list(PROMPTS),
        "grant_types_supported": [CodeGrant.GRANT_TYPE, RefreshGrant.GRANT_TYPE],
        "subject_types_supported": list(SUBJECT_TYPES),
        "id_token_signing_alg_values_supported": list(SUPPORTED_ALGS),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "introspection_endpoint_auth_methods_supported": list(Introspection.CLIENT_AUTH_METHODS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "revocation_endpoint_auth_methods_supported": list(Revocation.CLIENT_AUTH_METHODS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "code_challenge_methods_supported": list(S256CodeChallenge.SUPPORTED_CODE_CHALLENGE_METHOD),
        "claims_supported": supported_claims(),
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": list(ISSUED_ACRS),
        "ui_locales_supported": list(LOCALES),
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }
