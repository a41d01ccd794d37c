"""What the ledger records: one ``source:subject:action`` name per kind of event.

Each member says what happened and which ``details`` keys its entries carry. Details hold names,
codes and references, never a secret, a claim value or a citizen-ID number (the citizen is the
entry's keyed ``citizen`` digest).
"""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    # The citizen
    SIGNIN_SUCCESS = "citizen:signin:success"
    """A sign-in finished and a provider session began: ``method``, ``acr``, ``amr``, ``sid``,
    ``browser`` and ``network`` (accounts/devices: family and OS, IPv4 /24 or IPv6 /48)."""
    SIGNIN_FAILURE = "citizen:signin:failure"
    """A sign-in step was refused: ``method``, ``reason`` (``unknown_account``, ``bad_password``,
    ``bad_code``, ``replayed_code``, ``unmet_authentication_requirements``…), ``browser``,
    ``network``. ``citizen`` is the digest of the number typed, when it is 12 digits."""
    STEPUP_SUCCESS = "citizen:stepup:success"
    """A signed-in citizen added the missing factor for a portal that needs more: as
    ``SIGNIN_SUCCESS``."""
    SIGNIN_DISOWNED = "citizen:signin:disowned"
    """The citizen said a sign-in was not theirs ("this wasn't me"): every session ended,
    ``sessions`` (how many)."""
    SESSION_ENDED = "citizen:session:ended"
    """The citizen signed out (RP-initiated logout): ``sid``, ``revoked_tokens`` (how many access
    tokens of the session were revoked)."""

    ACTIVATION_REQUESTED = "citizen:activation:requested"
    """Someone asked to activate the account of the citizen-ID number typed: ``sent`` (``code``,
    ``notice`` for an active account, ``none``: details not matching, or the sending limit)."""
    ACTIVATION_CODE_REFUSED = "citizen:activation:refused"
    """An activation code was wrong, spent or expired: ``reason``."""
    ACCOUNT_ACTIVATED = "citizen:activation:completed"
    """The citizen set a password and the account is active: ``reactivated`` (after a reset)."""

    # Consent
    CONSENT_GIVEN = "consent:grant:given"
    """The citizen allowed a portal on the consent page: ``scopes``."""
    CONSENT_REMEMBERED = "consent:grant:remembered"
    """A portal asked only for what the citizen had allowed, so no page was shown: ``scopes``."""
    CONSENT_REFUSED = "consent:grant:refused"
    """The citizen denied a portal on the consent page: ``scopes`` (those asked for)."""
    CONSENT_REVOKED = "consent:grant:revoked"
    """The citizen withdrew a consent: ``scopes``."""

    # Releases of the citizen's data to a portal
    CLAIMS_RELEASE_TOKEN = "claims:release:token"  # noqa: S105 (an event name, not a secret)
    """An ID token was issued (code exchange or refresh): ``claims`` (the names of the personal
    claims it carries, ``sub`` among them), ``scopes``, ``grant``, ``id_token`` (SHA-256 of the
    ID token, so the portal's copy can be matched), ``purpose`` when declared."""
    CLAIMS_RELEASE_USERINFO = "claims:release:userinfo"
    """Userinfo answered: ``claims`` (names), ``scopes``, ``access_token_jti`` (the ``jti`` of the
    access token presented), ``purpose`` when declared."""

    # The citizen's account
    CREDENTIAL_CHANGED = "account:credential:changed"
    """A credential was added, changed or removed: ``credential`` (``password``, ``totp``,
    ``passkey``), ``action`` (``added``, ``changed``, ``removed``)."""

    # Administrators, through the `idp` command (``operator``: the operating-system user)
    ADMIN_SCHEMA_UPGRADED = "admin:schema:upgraded"
    """`idp init` ran: ``created_keys`` (kids of the keys it created)."""
    ADMIN_CLIENT_CREATED = "admin:client:created"
    """A portal was registered: ``scopes``, ``auth_method``, ``subject_type``."""
    ADMIN_KEY_ROTATED = "admin:key:rotated"
    """A signing key was created by rotation: ``kid``, ``alg``, ``activates_at``."""
    ADMIN_KEYS_PRUNED = "admin:key:pruned"
    """Expired signing keys were deleted: ``kids``."""
    ADMIN_ACCOUNT_CREATED = "admin:account:created"
    """An e-ID account was created: ``identity_level``, ``with_totp``."""
    ADMIN_ACCOUNT_RESET = "admin:account:reset"
    """An officer reset an account: ``sessions_ended``, ``tokens_revoked``."""
    ADMIN_IDENTITY_VERIFIED = "admin:identity:verified"
    """An officer checked the citizen's identity in person: ``changed`` (False: level 2 already)."""
    ADMIN_POPULATION_SEEDED = "admin:population:seeded"
    """Generated citizens were added: ``count``, ``seed``."""
    ADMIN_POPULATION_IMPORTED = "admin:population:imported"
    """Citizens were imported from a file: ``file`` (its name), ``created``, ``updated``,
    ``rejected``."""
    ADMIN_LEDGER_EXPORTED = "admin:ledger:exported"
    """`idp audit export` ran: ``since``, ``until`` when given; ``citizen`` when filtered."""
    ADMIN_CLEANUP_RUN = "admin:cleanup:run"
    """Expired short-lived state was deleted: ``transactions``, ``codes``, ``tokens``,
    ``sessions``, ``assertions`` (counts). The ledger is never part of it."""
