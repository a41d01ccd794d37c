"""The administrative procedures of the demo portal: each asks only for the data it needs, at
the assurance level it needs (DESIGN §3, the claims catalogue).

Starting a procedure sends the citizen to the provider with exactly ``scope`` and
``acr_values``; the provider steps a weaker session up, or refuses with
``unmet_authentication_requirements`` when the account cannot reach the level. The page then
shows what was received and a mock application form pre-filled from it.

The portal's registration must cover every procedure's scopes: ``idp demo`` registers
``PORTAL_SCOPE`` of ``idp/sandbox.py``, and a unit test checks the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from relying_party_demo.display import format_birthdate, format_date
from relying_party_demo.messages import Message

# The assurance levels of the provider, weakest first (DESIGN §3, Assurance).
ACR_ORDER = ("loa1", "loa2", "loa3")

Claims = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: Message


@dataclass(frozen=True, slots=True)
class FormField:
    """A field of a procedure's application form.

    A field with ``prefill`` shows data the provider vouched for, read-only: the citizen does not
    type it again. A field with ``options`` is a choice; the others are free text.
    """

    name: str
    label: Message
    prefill: Callable[[Claims], str | None] | None = None
    options: Callable[[Claims], tuple[Option, ...]] | tuple[Option, ...] = ()
    required: bool = True

    @property
    def verified(self) -> bool:
        return self.prefill is not None

    def value(self, claims: Claims) -> str | None:
        return None if self.prefill is None else self.prefill(claims)

    def choices(self, claims: Claims) -> tuple[Option, ...]:
        return self.options(claims) if callable(self.options) else self.options


@dataclass(frozen=True, slots=True)
class Procedure:
    slug: str
    title: Message
    summary: Message
    agency: Message
    scope: str
    acr: str
    # The claims this procedure reads, shown in the "data received" table.
    claims: tuple[str, ...]
    fields: tuple[FormField, ...] = field(default=())

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def received(self, claims: Claims) -> dict[str, Any]:
        """The claims this procedure reads, of those the provider released."""
        return {name: claims[name] for name in self.claims if name in claims}

    def is_covered_by(self, granted_scope: str, acr: object) -> bool:
        """Whether a sign-in that was granted ``granted_scope`` at ``acr`` serves this
        procedure without asking the provider again."""
        return self.scopes <= set(granted_scope.split()) and satisfies(acr, self.acr)


def satisfies(have: object, need: str) -> bool:
    """Whether assurance level ``have`` is at least ``need``; an unknown level never is."""
    return (
        isinstance(have, str)
        and have in ACR_ORDER
        and ACR_ORDER.index(have) >= ACR_ORDER.index(need)
    )


# --- What the forms read from the claims -------------------------------------------------------


def _text(name: str) -> Callable[[Claims], str | None]:
    def read(claims: Claims) -> str | None:
        value = claims.get(name)
        return value if isinstance(value, str) and value else None

    return read


def _birthdate(claims: Claims) -> str | None:
    value = claims.get("birthdate")
    return format_birthdate(value) if isinstance(value, str) else None


def _first(name: str, member: str, *, date: bool = False) -> Callable[[Claims], str | None]:
    """A member of the first object of an array claim (the citizen's first licence, …)."""

    def read(claims: Claims) -> str | None:
        items = claims.get(name)
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            return None
        value = items[0].get(member)
        if value is None:
            return None
        return format_date(value) if date else str(value)

    return read


def _member(name: str, member: str, *, date: bool = False) -> Callable[[Claims], str | None]:
    """A member of an object claim (the health-insurance card, …)."""

    def read(claims: Claims) -> str | None:
        value = claims.get(name)
        if not isinstance(value, dict) or value.get(member) is None:
            return None
        return format_date(value[member]) if date else str(value[member])

    return read


def _credentials(claims: Claims) -> tuple[Option, ...]:
    items = claims.get("education")
    if not isinstance(items, list):
        return ()
    options = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            text = f"{item.get('credential', '?')} — {item.get('institution', '?')}"
            text += f" ({item['year']})" if "year" in item else ""
            options.append(Option(str(index), Message(text, text)))
    return tuple(options)


def _doses(claims: Claims) -> tuple[Option, ...]:
    items = claims.get("vaccinations")
    if not isinstance(items, list):
        return ()
    options = [Option("all", Message("Tất cả các mũi đã tiêm", "Every dose received"))]
    for index, item in enumerate(items):
        if isinstance(item, dict):
            text = f"{item.get('vaccine', '?')}, mũi {item.get('dose', '?')}"
            text += f", {format_date(item['date'])}" if "date" in item else ""
            options.append(Option(str(index), Message(text, text)))
    return tuple(options)


def _vehicles(claims: Claims) -> str | None:
    items = claims.get("vehicles")
    if not isinstance(items, list):
        return None
    plates = [str(item.get("plate")) for item in items if isinstance(item, dict)]
    return ", ".join(plates) if plates else "—"


DELIVERY = (
    Option("post", Message("Nhận qua bưu điện tại nơi thường trú", "By post to my home")),
    Option("office", Message("Nhận tại cơ quan giải quyết", "Collect at the office")),
)

FULL_NAME = FormField("full_name", Message("Họ và tên", "Full name"), prefill=_text("name"))
BIRTHDATE = FormField("birthdate", Message("Ngày sinh", "Date of birth"), prefill=_birthdate)

PROCEDURES: dict[str, Procedure] = {
    procedure.slug: procedure
    for procedure in (
        Procedure(
            slug="driving-licence",
            title=Message("Cấp đổi giấy phép lái xe", "Renew a driving licence"),
            summary=Message(
                "Đổi giấy phép lái xe sắp hết hạn hoặc bị hỏng; nhận kết quả tại nhà.",
                "Renew a licence that is expiring or damaged; receive it at home.",
            ),
            agency=Message("Sở Giao thông vận tải", "Department of Transport"),
            scope="openid profile driving_license",
            # The catalogue releases licences at loa1; a renewal issues a document, so the
            # portal asks for two factors.
            acr="loa2",
            claims=("name", "birthdate", "driving_licenses"),
            fields=(
                FULL_NAME,
                BIRTHDATE,
                FormField(
                    "licence_number",
                    Message("Số giấy phép lái xe", "Licence number"),
                    prefill=_first("driving_licenses", "number"),
                ),
                FormField(
                    "licence_class",
                    Message("Hạng", "Class"),
                    prefill=_first("driving_licenses", "class"),
                ),
                FormField(
                    "licence_expires_on",
                    Message("Ngày hết hạn", "Expires on"),
                    prefill=_first("driving_licenses", "expires_on", date=True),
                ),
                FormField(
                    "reason",
                    Message("Lý do cấp đổi", "Reason"),
                    options=(
                        Option("expiring", Message("Sắp hết hạn", "Expiring")),
                        Option("damaged", Message("Bị hỏng", "Damaged")),
                        Option("lost", Message("Bị mất", "Lost")),
                    ),
                ),
                FormField("delivery", Message("Hình thức nhận", "Delivery"), options=DELIVERY),
            ),
        ),
        Procedure(
            slug="health-insurance",
            title=Message("Tra cứu thẻ bảo hiểm y tế", "Look up health-insurance cover"),
            summary=Message(
                "Xem thời hạn thẻ và nơi đăng ký khám chữa bệnh ban đầu; đề nghị đổi nơi khám.",
                "See your card's validity and registered clinic; ask to change the clinic.",
            ),
            agency=Message("Bảo hiểm xã hội Việt Nam", "Viet Nam Social Security"),
            scope="openid health_insurance",
            acr="loa2",
            claims=("health_insurance",),
            fields=(
                FormField(
                    "card_number",
                    Message("Số thẻ bảo hiểm y tế", "Card number"),
                    prefill=_member("health_insurance", "number"),
                ),
                FormField(
                    "valid_until",
                    Message("Giá trị sử dụng đến", "Valid until"),
                    prefill=_member("health_insurance", "valid_until", date=True),
                ),
                FormField(
                    "registered_facility",
                    Message("Nơi đăng ký khám chữa bệnh ban đầu", "Registered clinic"),
                    prefill=_member("health_insurance", "registered_facility"),
                ),
                FormField(
                    "new_facility",
                    Message("Nơi đăng ký mới (nếu muốn đổi)", "New clinic (to change it)"),
                    required=False,
                ),
            ),
        ),
        Procedure(
            slug="vehicle-registration",
            title=Message("Đăng ký xe", "Register a vehicle"),
            summary=Message(
                "Đăng ký xe mới mua; cổng nhận số định danh và danh sách xe đã đăng ký của bạn.",
                "Register a newly bought vehicle; the portal receives your number and vehicles.",
            ),
            agency=Message("Công an tỉnh, thành phố", "Provincial police"),
            scope="openid citizen_id vehicle_registration",
            # A registration should ask for loa3 (phishing-resistant, identity proven in person),
            # but loa3 needs passkeys, which the provider does not offer yet: loa2 until it does.
            acr="loa2",
            claims=("citizen_id", "vehicles"),
            fields=(
                FormField(
                    "citizen_id",
                    Message("Số định danh cá nhân", "Personal identification number"),
                    prefill=_text("citizen_id"),
                ),
                FormField(
                    "registered_vehicles",
                    Message("Xe đã đăng ký", "Vehicles already registered"),
                    prefill=_vehicles,
                ),
                FormField(
                    "vehicle_type",
                    Message("Loại xe", "Vehicle type"),
                    options=(
                        Option("motorbike", Message("Xe máy", "Motorbike")),
                        Option("car", Message("Ô tô", "Car")),
                    ),
                ),
                FormField("brand", Message("Nhãn hiệu", "Brand")),
                FormField("frame_number", Message("Số khung", "Frame number")),
            ),
        ),
        Procedure(
            slug="certificate-copy",
            title=Message("Cấp bản sao văn bằng", "Apply for a certificate copy"),
            summary=Message(
                "Xin bản sao văn bằng, chứng chỉ từ sổ gốc của cơ sở đào tạo.",
                "Ask for a copy of a degree or certificate from the institution's register.",
            ),
            agency=Message("Cơ sở giáo dục đã cấp văn bằng", "The issuing institution"),
            scope="openid profile education",
            acr="loa1",
            claims=("name", "birthdate", "education"),
            fields=(
                FULL_NAME,
                BIRTHDATE,
                FormField("credential", Message("Văn bằng", "Certificate"), options=_credentials),
                FormField(
                    "copies",
                    Message("Số bản sao", "Number of copies"),
                    options=tuple(Option(str(n), Message(str(n), str(n))) for n in (1, 2, 3)),
                ),
                FormField("delivery", Message("Hình thức nhận", "Delivery"), options=DELIVERY),
            ),
        ),
        Procedure(
            slug="vaccination-record",
            title=Message("Xác nhận tiêm chủng", "Vaccination record"),
            summary=Message(
                "Xem lịch sử tiêm chủng và xin giấy xác nhận đã tiêm.",
                "See your vaccinations and ask for a certificate of vaccination.",
            ),
            agency=Message("Trung tâm Kiểm soát bệnh tật", "Centre for Disease Control"),
            scope="openid vaccination",
            acr="loa2",
            claims=("vaccinations",),
            fields=(
                FormField("doses", Message("Các mũi cần xác nhận", "Doses"), options=_doses),
                FormField("delivery", Message("Hình thức nhận", "Delivery"), options=DELIVERY),
            ),
        ),
    )
}


def all_scopes() -> frozenset[str]:
    """Every scope some procedure asks for: what the portal's registration must cover."""
    return frozenset(scope for procedure in PROCEDURES.values() for scope in procedure.scopes)
