"""Security headers on every response of the portal.

No page has inline script or style, so the policy allows only the portal's own stylesheet and
images. ``form-action`` names the provider's origin because a form may lead there by redirect,
which some browsers check against ``form-action``.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

from relying_party_demo.config import PortalSettings


def content_security_policy(issuer_origin: str) -> str:
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action 'self' {issuer_origin}; frame-ancestors 'none'; base-uri 'none'"
    )


def init_app(app: Flask, settings: PortalSettings) -> None:
    headers = {
        "Content-Security-Policy": content_security_policy(settings.issuer_origin),
        "X-Content-Type-Options": "nosniff",
        # The callback URL carries the authorization code; it must not leak as a referrer.
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if settings.uses_https:
        headers["Strict-Transport-Security"] = "max-age=31536000"

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            # Pages show a citizen's personal data: no cache, shared or private, keeps them.
            response.headers["Cache-Control"] = "no-store"
        return response
