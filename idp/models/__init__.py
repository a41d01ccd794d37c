"""All models, imported here so that metadata (and Alembic) sees every table."""

from idp.models.accounts import Account, BrowserSession, RecoveryCode
from idp.models.base import Base
from idp.models.clients import Client
from idp.models.consent import Consent
from idp.models.keys import SigningKey
from idp.models.oidc import AuthorizationCode, AuthorizationTransaction, TransactionState
from idp.models.population import (
    Citizen,
    DrivingLicense,
    EducationCredential,
    HealthInsurance,
    SocialInsurance,
    Vaccination,
    Vehicle,
)
from idp.models.tokens import ClientAssertion, RefreshToken, Token

__all__ = [
    "Account",
    "AuthorizationCode",
    "AuthorizationTransaction",
    "Base",
    "BrowserSession",
    "Citizen",
    "Client",
    "ClientAssertion",
    "Consent",
    "DrivingLicense",
    "EducationCredential",
    "HealthInsurance",
    "RecoveryCode",
    "RefreshToken",
    "SigningKey",
    "SocialInsurance",
    "Token",
    "TransactionState",
    "Vaccination",
    "Vehicle",
]
