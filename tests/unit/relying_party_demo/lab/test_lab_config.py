"""The lab's LAB_* settings in the portal, and the variables the sandbox would set."""

from __future__ import annotations

import pytest

from relying_party_demo.config import ConfigurationError
from relying_party_demo.config import load as load_portal
from relying_party_demo.lab import wiring
from relying_party_demo.lab.config import SECOND_SCOPE, LabSettings, load

PORTAL = {
    "RP_ISSUER": "http://localhost:5000",
    "RP_CLIENT_ID": "portal",
    "RP_CLIENT_SECRET": "portal-secret",
    "RP_BASE_URL": "http://127.0.0.1:5001",
    "RP_SECRET_KEY": "k" * 32,
    "RP_SCOPE": "openid profile citizen_id",
}
LAB = {"LAB_CITIZEN_ID": "001090012345", "LAB_PASSWORD": "pw", "LAB_TOTP_SECRET": "abcd efgh"}


def _load(environ: dict[str, str]) -> LabSettings | None:
    return load(environ, load_portal(environ))


def test_the_lab_is_off_without_a_citizen() -> None:
    assert _load(PORTAL) is None


def test_the_first_client_is_the_portal() -> None:
    settings = _load({**PORTAL, **LAB})
    assert settings is not None
    assert settings.issuer == "http://localhost:5000"
    assert settings.client.client_id == "portal"
    assert settings.client.redirect_uri == "http://127.0.0.1:5001/callback"
    assert settings.client.scope == "openid profile citizen_id"
    assert settings.citizen.totp_secret == "ABCDEFGH"
    assert settings.second_client is None
    assert settings.second_citizen is None


def test_a_second_client_defaults_to_the_lab_callback_and_offline_access() -> None:
    settings = _load(
        {**PORTAL, **LAB, "LAB_SECOND_CLIENT_ID": "lab2", "LAB_SECOND_CLIENT_SECRET": "s2"}
    )
    assert settings is not None
    assert settings.second_client is not None
    assert settings.second_client.redirect_uri == "http://127.0.0.1:5001/lab/callback"
    assert settings.second_client.scope == SECOND_SCOPE


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"LAB_PASSWORD": ""}, "LAB_PASSWORD"),
        ({"LAB_SECOND_CLIENT_ID": "lab2"}, "LAB_SECOND_CLIENT_SECRET"),
        ({"LAB_SECOND_CITIZEN_ID": "079185004321"}, "LAB_SECOND_PASSWORD"),
        ({"LAB_TIMEOUT": "soon"}, "LAB_TIMEOUT"),
        ({"LAB_CLIENT_ID": "other"}, "LAB_CLIENT_SECRET"),
    ],
)
def test_half_made_settings_are_refused(extra: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        _load({**PORTAL, **LAB, **extra})


def test_the_sandbox_wiring_makes_settings_the_lab_accepts() -> None:
    requests: list[wiring.ClientRequest] = []

    def register(request: wiring.ClientRequest) -> tuple[str, str]:
        requests.append(request)
        return "lab-second", "lab-second-secret"

    environ = wiring.lab_environ(
        "http://127.0.0.1:5001",
        register,
        portal_scope="openid profile citizen_id health_insurance",
        citizen=wiring.LabAccount("001090012345", "pw", "SECRET"),
        second_citizen=wiring.LabAccount("079185004321", "pw2", "SECRET2"),
    )
    (request,) = requests
    assert request.redirect_uris == ("http://127.0.0.1:5001/lab/callback",)
    assert "offline_access" in request.scope.split()
    settings = _load({**PORTAL, **environ})
    assert settings is not None
    assert settings.second_client is not None
    assert settings.second_client.client_id == "lab-second"
    assert settings.second_citizen is not None
    assert settings.second_citizen.citizen_id == "079185004321"
    assert settings.client.scope == "openid profile citizen_id health_insurance"
