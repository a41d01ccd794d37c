"""OpenID Connect Discovery 1.0 §3 provider metadata, derived from configuration and the claims
catalogue."""

from __future__ import annotations

from typing import Any

from idp.consent.catalogue import SCOPES, supported_claims
from idp.keys.store import SUPPORTED_ALGS
from idp.pages import LOCALES

# The levels the sign-in pages reach today: password (loa1), password and TOTP (loa2).
ISSUED_ACRS = ("loa1", "loa2")


def provider_metadata(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks.json",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": list(SUPPORTED_ALGS),
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": supported_claims(),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": list(ISSUED_ACRS),
        "ui_locales_supported": list(LOCALES),
        "authorization_response_iss_parameter_supported": True,
    }
