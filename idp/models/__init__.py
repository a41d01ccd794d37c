"""All models, imported here so that metadata (and Alembic) sees every table."""

from idp.models.accounts import Account, BrowserSession
from idp.models.base import Base
from idp.models.clients import Client
from idp.models.consent import Consent
from idp.models.keys import SigningKey
from idp.models.oidc import AuthorizationCode, AuthorizationTransaction, Token, TransactionState
from idp.models.population import (
    Citizen,
    DrivingLicense,
    EducationCredential,
    HealthInsurance,
    SocialInsurance,
    Vaccination,
    Vehicle,
)

__all__ = [
    "Account",
    "AuthorizationCode",
    "AuthorizationTransaction",
    "Base",
    "BrowserSession",
    "Citizen",
    "Client",
    "Consent",
    "DrivingLicense",
    "EducationCredential",
    "HealthInsurance",
    "SigningKey",
    "SocialInsurance",
    "Token",
    "TransactionState",
    "Vaccination",
    "Vehicle",
]
