"""All models, imported here so that metadata (and Alembic) sees every table."""

from idp.models.accounts import Account, ActivationRequest, BrowserSession, RecoveryCode
from idp.models.audit import AuditEntry, AuditHead
from idp.models.base import Base
from idp.models.clients import Client
from idp.models.consent import Consent
from idp.models.keys import SigningKey
from idp.models.notify import OutboxMessage
from idp.models.oidc import AuthorizationCode, AuthorizationTransaction, TransactionState
from idp.models.passkeys import ChallengePurpose, Passkey, WebAuthnChallenge
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
    "ActivationRequest",
    "AuditEntry",
    "AuditHead",
    "AuthorizationCode",
    "AuthorizationTransaction",
    "Base",
    "BrowserSession",
    "ChallengePurpose",
    "Citizen",
    "Client",
    "ClientAssertion",
    "Consent",
    "DrivingLicense",
    "EducationCredential",
    "HealthInsurance",
    "OutboxMessage",
    "Passkey",
    "RecoveryCode",
    "RefreshToken",
    "SigningKey",
    "SocialInsurance",
    "Token",
    "TransactionState",
    "Vaccination",
    "Vehicle",
    "WebAuthnChallenge",
]
