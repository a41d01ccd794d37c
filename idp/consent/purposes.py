"""Why a portal may receive a scope: the purpose and legal basis it declares at registration.

Vietnam's Decree 13/2023/ND-CP on personal data protection asks that data be processed for a
stated purpose (Art. 3) and on a legal basis: the data subject's consent (Art. 11) or one of
the cases where processing needs none (Art. 17). Each registered scope that releases data
carries both, and the consent page, the consent record and the public register show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

#: Scopes that release no data of the citizen's, and so need no declared purpose.
NO_DATA = frozenset({"openid", "offline_access"})

LEGAL_BASES = {
    "consent": _l("Your consent (Decree 13/2023/ND-CP, Article 11)"),
    "legal_obligation": _l("A duty the law places on the service (Decree 13/2023, Article 17)"),
    "public_task": _l("A public service the agency is charged with (Decree 13/2023, Article 17)"),
    "contract": _l("A contract you are party to (Decree 13/2023, Article 17)"),
    "vital_interest": _l("An emergency threatening life or health (Decree 13/2023, Article 17)"),
}


@dataclass(frozen=True, slots=True)
class Purpose:
    text: str
    legal_basis: str = "consent"

    def as_json(self) -> dict[str, str]:
        return {"purpose": self.text, "legal_basis": self.legal_basis}


def read_purposes(data: Mapping[str, Mapping[str, str]]) -> dict[str, Purpose]:
    return {
        scope: Purpose(entry["purpose"], entry.get("legal_basis", "consent"))
        for scope, entry in data.items()
    }
