"""The claims catalogue: one table from scopes to claims (DESIGN.md §3).

Discovery, the consent page and every release of claims read this table and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    claims: tuple[str, ...]
    lowest_acr: str
    description: dict[str, str]


CATALOGUE: tuple[Scope, ...] = (
    Scope(
        "openid",
        ("sub",),
        "loa1",
        {
            "vi": "Xác nhận bạn đã đăng nhập bằng định danh điện tử",
            "en": "Confirm that you signed in with your e-ID",
        },
    ),
    Scope(
        "profile",
        (
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "birthdate",
            "gender",
            "nationality",
        ),
        "loa1",
        {
            "vi": "Họ tên, ngày sinh, giới tính và quốc tịch",
            "en": "Your name, date of birth, gender and nationality",
        },
    ),
    Scope(
        "address",
        ("address",),
        "loa1",
        {
            "vi": "Địa chỉ thường trú",
            "en": "Your permanent address",
        },
    ),
    Scope(
        "phone",
        ("phone_number", "phone_number_verified"),
        "loa1",
        {
            "vi": "Số điện thoại",
            "en": "Your phone number",
        },
    ),
    Scope(
        "email",
        ("email", "email_verified"),
        "loa1",
        {
            "vi": "Địa chỉ thư điện tử",
            "en": "Your e-mail address",
        },
    ),
    Scope(
        "citizen_id",
        ("citizen_id",),
        "loa2",
        {
            "vi": "Số định danh cá nhân (12 chữ số)",
            "en": "Your 12-digit personal identification number",
        },
    ),
    Scope(
        "health_insurance",
        ("health_insurance",),
        "loa2",
        {
            "vi": "Thẻ bảo hiểm y tế: số thẻ, thời hạn, nơi đăng ký khám chữa bệnh",
            "en": "Your health-insurance card: number, validity and registered clinic",
        },
    ),
    Scope(
        "social_insurance",
        ("social_insurance",),
        "loa2",
        {
            "vi": "Mã số bảo hiểm xã hội",
            "en": "Your social-insurance number",
        },
    ),
    Scope(
        "driving_license",
        ("driving_licenses",),
        "loa1",
        {
            "vi": "Giấy phép lái xe: số, hạng, ngày cấp, thời hạn, tình trạng",
            "en": "Your driving licences: number, class, dates and status",
        },
    ),
    Scope(
        "vehicle_registration",
        ("vehicles",),
        "loa1",
        {
            "vi": "Phương tiện đã đăng ký: biển số, loại xe, nhãn hiệu, ngày đăng ký",
            "en": "Your registered vehicles: plate, type, brand and date",
        },
    ),
    Scope(
        "education",
        ("education",),
        "loa1",
        {
            "vi": "Văn bằng: tên văn bằng, cơ sở đào tạo, năm cấp",
            "en": "Your degrees and certificates: title, institution and year",
        },
    ),
    Scope(
        "vaccination",
        ("vaccinations",),
        "loa2",
        {
            "vi": "Lịch sử tiêm chủng",
            "en": "Your vaccination history",
        },
    ),
    # OIDC Core §11: no claim of its own; a refresh token that keeps the portal's access after
    # the citizen has signed out.
    Scope(
        "offline_access",
        (),
        "loa1",
        {
            "vi": "Tiếp tục truy cập khi bạn không còn đăng nhập",
            "en": "Keep access after you have signed out",
        },
    ),
)

SCOPES: dict[str, Scope] = {scope.name: scope for scope in CATALOGUE}
ACR_ORDER: tuple[str, ...] = ("loa1", "loa2", "loa3")


def claims_for(scopes: Iterable[str]) -> frozenset[str]:
    """The claims that the given scopes release (unknown scopes release nothing)."""
    return frozenset(claim for name in scopes if name in SCOPES for claim in SCOPES[name].claims)


def releasable(requested: Iterable[str], registered: Iterable[str]) -> list[str]:
    """The requested scopes that can be released: known here and registered for the portal."""
    allowed = set(registered)
    return [name for name in dict.fromkeys(requested) if name in SCOPES and name in allowed]


def supported_claims() -> list[str]:
    protocol = {"iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"}
    return sorted(claims_for(SCOPES) | protocol)


def lowest_acr(scopes: Iterable[str]) -> str:
    """The lowest assurance level at which all the given scopes may be released."""
    levels = [SCOPES[name].lowest_acr for name in scopes if name in SCOPES]
    return max(levels, key=ACR_ORDER.index, default="loa1")


def satisfies(have: str, need: str) -> bool:
    """Whether assurance level ``have`` is at least ``need``."""
    return ACR_ORDER.index(have) >= ACR_ORDER.index(need)
