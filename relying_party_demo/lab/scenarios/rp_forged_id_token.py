"""OIDC Core §3.1.3.7 (ID token validation), step 6: "The Client MUST validate the signature of
all other ID Tokens according to JWS [JWS] using the algorithm specified in the JWT alg Header
Parameter. The Client MUST use the keys provided by the Issuer"; step 7: the ``alg`` must be the
registered one (RS256 by default), so ``none`` is refused (RFC 8725 §3.1).

This scenario tests the relying party, not the provider: the demo portal's own sign-in
(:func:`relying_party_demo.signin.complete_sign_in`) completes genuine authorization responses
from the provider, with the ID token in the token response replaced by a forgery on its way in
(Authlib's ``access_token_response`` compliance hook). The rest is the portal's code path as it
runs on ``/callback``: state, ``iss``, the code exchange, ID-token validation, ``azp``, userinfo.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask, session

from relying_party_demo import create_app, signin
from relying_party_demo.config import ConfigurationError
from relying_party_demo.lab import forgery
from relying_party_demo.lab.browser import origin
from relying_party_demo.lab.context import Lab, SignedIn
from relying_party_demo.lab.errors import LabError

TITLE = "Forged ID tokens at the portal"
RULE = "OIDC Core §3.1.3.7 (steps 6-7); RFC 8725 §3.1"
EXPECTED = (
    "The portal's sign-in refuses an ID token with alg none, one signed with a key that is not "
    "the provider's, and one whose claims were altered under the original signature; it accepts "
    "the genuine one."
)

Forge = Callable[[str], str]
VARIANTS: tuple[tuple[str, Forge], ...] = (
    ("with alg none and no signature", forgery.unsigned),
    ("signed with a key that is not the provider's", forgery.signed_with_lab_key),
    (
        "with acr raised to loa3 under the original signature",
        lambda token: forgery.altered(token, acr="loa3"),
    ),
)


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    clean: bool
    detail: str


def validation_portal(lab: Lab, instance_path: str) -> Flask:
    """A copy of the portal for the lab's first client, with its own secret key and its own
    instance folder (sessions), so that it shares nothing with a running portal."""
    client = lab.client
    environ = {
        **{k: v for k, v in lab.settings.portal_environ.items() if k.startswith("RP_")},
        "RP_ISSUER": lab.issuer,
        "RP_CLIENT_ID": client.client_id,
        "RP_AUTH_METHOD": "client_secret_basic",
        "RP_CLIENT_SECRET": client.client_secret,
        "RP_BASE_URL": origin(client.redirect_uri),
        "RP_SECRET_KEY": secrets.token_hex(32),
        "RP_SCOPE": client.scope,
        "RP_INSTANCE_PATH": instance_path,
    }
    environ.pop("RP_PRIVATE_KEY_FILE", None)
    try:
        return create_app(environ)
    except ConfigurationError as error:
        raise LabError(f"the portal cannot be built for the lab's client: {error}") from None


def present(lab: Lab, portal: Flask, signed_in: SignedIn, name: str, forge: Forge) -> Verdict:
    """Sign in through the portal's code path with the token response's ID token forged."""
    request = lab.authorization(lab.client)
    callback, _ = lab.obtain_code(signed_in.browser, request, f"authorization request ({name})")
    presented: dict[str, str] = {}

    def swap(response: requests.Response) -> requests.Response:
        body: Any = json.loads(response.content or b"null")
        if isinstance(body, dict) and isinstance(body.get("id_token"), str):
            lab.run.masker.secret(body["id_token"])
            body["id_token"] = presented["id_token"] = forge(body["id_token"])
            lab.run.masker.secret(presented["id_token"])
            response._content = json.dumps(body).encode()
        return response

    def fix(oauth_session: Any) -> None:
        oauth_session.register_compliance_hook("access_token_response", swap)

    query = urlsplit(callback.location).query
    with portal.test_request_context(f"/callback?{query}"):
        client: Any = signin.provider()
        client.compliance_fix = fix
        client.framework.set_state_data(
            session,
            request.state,
            {
                "redirect_uri": request.redirect_uri,
                "nonce": request.nonce,
                "code_verifier": request.code_verifier,
            },
        )
        try:
            signin.complete_sign_in()
        except signin.SignInError as error:
            verdict = Verdict(False, True, f"refused: {error}")
        except Exception as error:  # the portal would answer 500: refused, but not cleanly
            verdict = Verdict(False, False, f"the portal raised {type(error).__name__}")
        else:
            verdict = Verdict(True, True, "accepted: the citizen is signed in")
    lab.record_local(
        f"the portal's sign-in with an ID token {name}",
        "relying_party_demo.signin.complete_sign_in",
        presented,
        verdict.detail,
    )
    return verdict


def run(lab: Lab) -> None:
    signed_in = lab.signed_in()
    with tempfile.TemporaryDirectory(prefix="lab-portal-") as instance_path:
        portal = validation_portal(lab, instance_path)
        control = present(lab, portal, signed_in, "as issued (control)", lambda token: token)
        if not control.accepted:
            raise LabError(
                f"control: the portal refused the provider's genuine ID token: {control.detail}"
            )
        for name, forge in VARIANTS:
            verdict = present(lab, portal, signed_in, name, forge)
            lab.check(
                not verdict.accepted and verdict.clean,
                f"an ID token {name} is refused",
                verdict.detail,
            )
