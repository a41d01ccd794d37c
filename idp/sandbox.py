"""The sandbox that `idp demo` sets up: generated citizens, a handful of sandbox accounts with
published credentials (README.md lists them), and the demo portal registered as a client.

Everything here is for the demo only: these passwords and TOTP secrets are public.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import func, or_, select

import relying_party_demo
from idp.accounts.service import create_account, enrol_totp
from idp.consent.purposes import Purpose
from idp.extensions import db
from idp.models import Account, Citizen, Client
from idp.oidc.clients import find_client, register_client
from idp.population.records import (
    CitizenRecord,
    DrivingLicenseRecord,
    EducationRecord,
    HealthInsuranceRecord,
    SocialInsuranceRecord,
    VaccinationRecord,
    VehicleRecord,
)
from idp.population.registry import find_by_citizen_id, upsert
from idp.population.seed import seed
from relying_party_demo.lab import wiring

GENERATED_CITIZENS = 300
# The demo portal's logo in the provider's register: the portal's own icon.
PORTAL_LOGO = Path(relying_party_demo.__file__).parent / "static" / "favicon.svg"
SEED = 2026
# Everything the demo portal may ask for: the union of its procedures' scopes
# (relying_party_demo/procedures.py; a unit test checks they agree) and its sign-in button's.
PORTAL_SCOPE = (
    "openid profile citizen_id health_insurance driving_license vehicle_registration "
    "education vaccination"
)
# What the portal's plain "Sign in" button asks for (RP_SCOPE); each procedure asks for its own.
PORTAL_SIGN_IN_SCOPE = "openid profile citizen_id"
# Why the demo portal may receive each scope (consent/purposes.py), shown on the consent page
# and in the public register of portals.
PORTAL_PURPOSES = {
    "profile": Purpose("Xác định người nộp hồ sơ thủ tục hành chính", "public_task"),
    "citizen_id": Purpose("Tra cứu hồ sơ của công dân trong các thủ tục hành chính", "public_task"),
    "health_insurance": Purpose("Giải quyết thủ tục về bảo hiểm y tế", "public_task"),
    "driving_license": Purpose("Cấp đổi giấy phép lái xe", "public_task"),
    "vehicle_registration": Purpose("Đăng ký và chuyển nhượng phương tiện", "public_task"),
    "education": Purpose("Xác nhận văn bằng trong hồ sơ tuyển dụng"),
    "vaccination": Purpose("Cấp giấy xác nhận tiêm chủng"),
}
LAB_PURPOSES = {"profile": Purpose("Kiểm thử bảo mật: hiển thị họ tên người đăng nhập")}
PORTAL_FILE = "demo-portal.json"
# The portal's own instance folder (its session store), inside the provider's.
PORTAL_INSTANCE = "demo-portal"


@dataclass(frozen=True, slots=True)
class SandboxAccount:
    record: CitizenRecord
    password: str
    totp_secret: str | None
    identity_level: int = 1


def _citizen(
    citizen_id: str, family: str, middle: str, given: str, born: date, gender: str, region: str
) -> CitizenRecord:
    return CitizenRecord(
        citizen_id=citizen_id,
        family_name=family,
        middle_name=middle,
        given_name=given,
        birth_date=born,
        gender=gender,
        nationality="VN",
        place_of_origin=region,
        street_address="Số 1 đường Thử Nghiệm",
        locality="Phường Sandbox",
        region=region,
        country="VN",
        phone="0900000" + citizen_id[-3:],
        email=f"sandbox.{citizen_id[-4:]}@example.vn",
        health_insurance=HealthInsuranceRecord(
            number="DN40" + citizen_id[-11:],
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 12, 31),
            registered_facility=f"Bệnh viện Đa khoa {region}",
        ),
        social_insurance=SocialInsuranceRecord(number=citizen_id[-10:]),
        driving_licenses=(
            DrivingLicenseRecord(
                number="79" + citizen_id[-10:],
                license_class="B",
                issued_on=date(2018, 6, 1),
                expires_on=date(2028, 6, 1),
                status="valid",
            ),
        ),
        vehicles=(VehicleRecord("29A-123." + citizen_id[-2:], "car", "VinFast", date(2023, 2, 1)),),
        education=(EducationRecord("Cử nhân Luật", "Đại học Quốc gia Hà Nội", 2012),),
        vaccinations=(VaccinationRecord("COVID-19 (Comirnaty)", 1, date(2021, 9, 10)),),
    )


SANDBOX: tuple[SandboxAccount, ...] = (
    SandboxAccount(
        _citizen("001090012345", "Nguyễn", "Văn", "An", date(1990, 5, 14), "male", "Hà Nội"),
        "Sandbox-An-2026",
        "63NVG34AEYL7Q7QYVX5NJUHKP76D6BCO",
    ),
    SandboxAccount(
        _citizen("079185004321", "Trần", "Thị", "Bình", date(1985, 11, 2), "female", "Hồ Chí Minh"),
        "Sandbox-Binh-2026",
        "OGFQLOTPEMXOBFQ64JJLD74BAA56PTWK",
    ),
    SandboxAccount(
        _citizen("048301000777", "Lê", "Minh", "Châu", date(2001, 7, 30), "female", "Đà Nẵng"),
        "Sandbox-Chau-2026",
        "N7XAWUWVGE562Y75CLT574RLHLGXRNKL",
    ),
    SandboxAccount(
        _citizen("092078001234", "Phạm", "Quốc", "Dũng", date(1978, 1, 9), "male", "Cần Thơ"),
        "Sandbox-Dung-2026",
        None,
    ),
    SandboxAccount(
        _citizen("031195005678", "Hoàng", "Thu", "Hà", date(1995, 4, 21), "female", "Hải Phòng"),
        "Sandbox-Ha-2026",
        "H3KRJ4G6SG6Y2327BWJWHHM4COPOEAL2",
        identity_level=2,
    ),
)


# The security lab signs in as these two (its one-time codes then are not yours to reuse).
LAB_CITIZEN, LAB_SECOND_CITIZEN = SANDBOX[4], SANDBOX[2]


def _lab_account(sandbox: SandboxAccount) -> wiring.LabAccount:
    return wiring.LabAccount(sandbox.record.citizen_id, sandbox.password, sandbox.totp_secret)


@dataclass(frozen=True, slots=True)
class DemoSetup:
    client_id: str
    client_secret: str
    portal_secret_key: str
    lab_client_id: str
    lab_client_secret: str
    portal_instance_path: str = ""

    def portal_environ(self, issuer: str, portal_url: str) -> dict[str, str]:
        environ = {
            "RP_ISSUER": issuer,
            "RP_CLIENT_ID": self.client_id,
            "RP_CLIENT_SECRET": self.client_secret,
            "RP_SECRET_KEY": self.portal_secret_key,
            "RP_BASE_URL": portal_url,
            "RP_SCOPE": PORTAL_SIGN_IN_SCOPE,
        }
        if self.portal_instance_path:
            environ["RP_INSTANCE_PATH"] = self.portal_instance_path
        environ.update(
            wiring.lab_environ(
                portal_url,
                lambda request: (self.lab_client_id, self.lab_client_secret),
                portal_scope=PORTAL_SCOPE,
                citizen=_lab_account(LAB_CITIZEN),
                second_citizen=_lab_account(LAB_SECOND_CITIZEN),
                second_client=(self.lab_client_id, self.lab_client_secret),
            )
        )
        return environ


@dataclass(frozen=True, slots=True)
class PortalRegistration:
    """What the demo portal is registered with; a saved client that differs is replaced."""

    redirect_uris: list[str]
    scope: str
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str

    @classmethod
    def for_url(cls, portal_url: str) -> PortalRegistration:
        return cls(
            redirect_uris=[f"{portal_url}/callback"],
            scope=PORTAL_SCOPE,
            post_logout_redirect_uris=[f"{portal_url}/logged-out"],
            backchannel_logout_uri=f"{portal_url}/backchannel-logout",
        )

    def is_met_by(self, client: Client) -> bool:
        return (
            set(self.redirect_uris) <= set(client.redirect_uris)
            and set(client.scope.split()) == set(self.scope.split())
            and set(client.post_logout_redirect_uris) == set(self.post_logout_redirect_uris)
            and client.backchannel_logout_uri == self.backchannel_logout_uri
            and client.logo_type is not None
        )


def prepare(portal_url: str) -> DemoSetup:
    """Make the sandbox ready; safe to run again (it adds only what is missing)."""
    upsert(account.record for account in SANDBOX)
    db.session.commit()
    registered = db.session.scalar(select(func.count()).select_from(Citizen)) or 0
    if registered < GENERATED_CITIZENS + len(SANDBOX):
        seed(GENERATED_CITIZENS, SEED)
    for sandbox in SANDBOX:
        citizen = find_by_citizen_id(sandbox.record.citizen_id)
        assert citizen is not None
        if db.session.scalar(select(Account.id).where(Account.citizen_pk == citizen.id)):
            continue
        account = create_account(
            sandbox.record.citizen_id, sandbox.password, identity_level=sandbox.identity_level
        ).account
        if sandbox.totp_secret:
            enrol_totp(account, sandbox.totp_secret)
    return _demo_portal(portal_url)


def _demo_portal(portal_url: str) -> DemoSetup:
    """The demo portal's registration, kept in the instance folder so restarts reuse it; a new
    one replaces it when the portal's URL, scope or logout URIs have changed since."""
    path = Path(current_app.instance_path) / PORTAL_FILE
    portal_instance = str(Path(current_app.instance_path) / PORTAL_INSTANCE)
    wanted = PortalRegistration.for_url(portal_url)
    if path.exists():
        saved = json.loads(path.read_text())
        client = find_client(saved["client_id"])
        lab_client = find_client(saved.get("lab_client_id", ""))
        if client is not None and lab_client is not None and wanted.is_met_by(client):
            return DemoSetup(**saved, portal_instance_path=portal_instance)
    registration = register_client(
        name="Cổng Dịch vụ công (demo)",
        redirect_uris=wanted.redirect_uris,
        scope=wanted.scope,
        post_logout_redirect_uris=wanted.post_logout_redirect_uris,
        backchannel_logout_uri=wanted.backchannel_logout_uri,
        organisation="Văn phòng Chính phủ (demo)",
        purposes=PORTAL_PURPOSES,
        essential_scopes=["profile"],
        logo=PORTAL_LOGO.read_bytes(),
    )
    lab = wiring.second_client_request(portal_url)
    lab_registration = register_client(
        name=lab.name,
        redirect_uris=list(lab.redirect_uris),
        scope=lab.scope,
        post_logout_redirect_uris=list(lab.post_logout_redirect_uris),
        organisation="citizen-idp security lab",
        purposes=LAB_PURPOSES,
    )
    assert registration.client_secret is not None
    assert lab_registration.client_secret is not None
    setup = DemoSetup(
        client_id=registration.client.client_id,
        client_secret=registration.client_secret,
        portal_secret_key=secrets.token_urlsafe(32),
        lab_client_id=lab_registration.client.client_id,
        lab_client_secret=lab_registration.client_secret,
        portal_instance_path=portal_instance,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {
                "client_id": setup.client_id,
                "client_secret": setup.client_secret,
                "portal_secret_key": setup.portal_secret_key,
                "lab_client_id": setup.lab_client_id,
                "lab_client_secret": setup.lab_client_secret,
            },
            handle,
        )
    return setup


def activation_example() -> Citizen | None:
    """A registered citizen without an account yet, who can activate one (first by number)."""
    return db.session.scalar(
        select(Citizen)
        .outerjoin(Account, Account.citizen_pk == Citizen.id)
        .where(Account.id.is_(None), or_(Citizen.phone.is_not(None), Citizen.email.is_not(None)))
        .order_by(Citizen.citizen_id)
        .limit(1)
    )


def describe(setup: DemoSetup, issuer: str, portal_url: str, example: Citizen | None) -> str:
    lines = [
        "",
        f"  Demo portal:  {portal_url}/   (open this, click “Sign in with e-ID”)",
        f"  Security lab: {portal_url}/lab",
        f"  Provider:     {issuer}/.well-known/openid-configuration",
        "",
        "  Sandbox accounts (public test data):",
        "  citizen ID     password            TOTP secret (add to an authenticator app)",
    ]
    for sandbox in SANDBOX:
        secret = sandbox.totp_secret or "— (password only: loa1)"
        lines.append(f"  {sandbox.record.citizen_id}   {sandbox.password:<18}  {secret}")
    lines += ["", f"  Activate an e-ID account: {issuer}/activate"]
    if example is not None:
        lines.append(
            f"    for example as {example.full_name}, born {example.birth_date:%d/%m/%Y}, "
            f"citizen ID {example.citizen_id} (`idp population list` shows others)"
        )
    lines += [
        f"  Activation codes and notices (the outbox): {issuer}/dev/outbox",
        "",
        "  Press Ctrl+C to stop.",
        "",
    ]
    return "\n".join(lines)
