"""first schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "citizen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.String(length=12), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("middle_name", sa.String(length=100), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(length=6), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("place_of_origin", sa.String(length=200), nullable=False),
        sa.Column("street_address", sa.String(length=200), nullable=False),
        sa.Column("locality", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen")),
        sa.UniqueConstraint("citizen_id", name=op.f("uq_citizen_citizen_id")),
    )
    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("client_secret_hash", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("token_endpoint_auth_method", sa.String(length=40), nullable=False),
        sa.Column("jwks_uri", sa.String(length=500), nullable=True),
        sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
        sa.Column("backchannel_logout_uri", sa.String(length=500), nullable=True),
        sa.Column("sector", sa.String(length=255), nullable=False),
        sa.Column("subject_type", sa.String(length=10), nullable=False),
        sa.Column("id_token_signed_response_alg", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
        sa.UniqueConstraint("client_id", name=op.f("uq_client_client_id")),
    )
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("private_jwk_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_key")),
    )
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_key_alg"), ["alg"], unique=False)

    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_pk", sa.Integer(), nullable=False),
        sa.Column("subject_key", sa.String(length=43), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("identity_level", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_pk"], ["citizen.id"], name=op.f("fk_account_citizen_pk_citizen")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("citizen_pk", name=op.f("uq_account_citizen_pk")),
        sa.UniqueConstraint("subject_key", name=op.f("uq_account_subject_key")),
    )
    op.create_table(
        "driving_license",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_pk", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("license_class", sa.String(length=4), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_pk"],
            ["citizen.id"],
            name=op.f("fk_driving_license_citizen_pk_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_driving_license")),
    )
    with op.batch_alter_table("driving_license", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_driving_license_citizen_pk"), ["citizen_pk"], unique=False
        )

    op.create_table(
        "education_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_pk", sa.Integer(), nullable=False),
        sa.Column("credential", sa.String(length=200), nullable=False),
        sa.Column("institution", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_pk"],
            ["citizen.id"],
            name=op.f("fk_education_credential_citizen_pk_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_credential")),
    )
    with op.batch_alter_table("education_credential", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_education_credential_citizen_pk"), ["citizen_pk"], unique=False
        )

    op.create_table(
        "health_insurance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_pk", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("registered_facility", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_pk"],
            ["citizen.id"],
            name=op.f("fk_health_insurance_citizen_pk_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_insurance")),
        sa.UniqueConstraint("citizen_pk", name=op.f("uq_health_insurance_citizen_pk")),
    )
    op.create_table(
        "social_insurance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_pk", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_pk"],
            ["citizen.id"],
            name=op.f("fk_social_insurance_citizen_pk_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_insurance")),
        sa.UniqueConstraint("citizen_pk", name=op.f("uq_social_insurance_citizen_pk")),
    )
    op.create_table(
        "vaccination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_pk", sa.Integer(), nullable=False),
        sa.Column("vaccine", sa.String(length=100), nullable=False),
        sa.Column("dose", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_pk"],
            ["citizen.id"],
            name=op.f("fk_vaccination_citizen_pk_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vaccination")),
    )
    with op.batch_alter_table("vaccination", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vaccination_citizen_pk"), ["citizen_pk"], unique=False)

    op.create_table(
        "vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_pk", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=20), nullable=False),
        sa.Column("vehicle_type", sa.String(length=30), nullable=False),
        sa.Column("brand", sa.String(length=50), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_pk"],
            ["citizen.id"],
            name=op.f("fk_vehicle_citizen_pk_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle")),
    )
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicle_citizen_pk"), ["citizen_pk"], unique=False)

    op.create_table(
        "authorization_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acr", sa.String(length=8), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_authorization_code_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_authorization_code_code_hash")),
    )
    with op.batch_alter_table("authorization_code", schema=None) as batch_op:
        batch_op.create_index(
            "ix_authorization_code_client_nonce", ["client_id", "nonce"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_authorization_code_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "browser_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acr", sa.String(length=8), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_browser_session_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_session")),
    )
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_browser_session_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_browser_session_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_consent_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
        sa.UniqueConstraint("account_id", "client_id", name=op.f("uq_consent_account_id")),
    )
    op.create_table(
        "authorization_transaction",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("browser_binding", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "LOGIN",
                "OTP",
                "CONSENT",
                "APPROVED",
                "DENIED",
                "FINISHED",
                name="transactionstate",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("browser_session_id", sa.String(length=64), nullable=True),
        sa.Column("granted_scope", sa.String(length=1000), nullable=True),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_authorization_transaction_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["browser_session_id"],
            ["browser_session.id"],
            name=op.f("fk_authorization_transaction_browser_session_id_browser_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_transaction")),
    )
    with op.batch_alter_table("authorization_transaction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorization_transaction_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("acr", sa.String(length=8), nullable=False),
        sa.Column("authorization_code_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_token_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["authorization_code_id"],
            ["authorization_code.id"],
            name=op.f("fk_token_authorization_code_id_authorization_code"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_token_access_token_hash")),
    )
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_token_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_token_authorization_code_id"), ["authorization_code_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_token_client_id"), ["client_id"], unique=False)


def downgrade():
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_token_client_id"))
        batch_op.drop_index(batch_op.f("ix_token_authorization_code_id"))
        batch_op.drop_index(batch_op.f("ix_token_account_id"))

    op.drop_table("token")
    with op.batch_alter_table("authorization_transaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_transaction_expires_at"))

    op.drop_table("authorization_transaction")
    op.drop_table("consent")
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_browser_session_expires_at"))
        batch_op.drop_index(batch_op.f("ix_browser_session_account_id"))

    op.drop_table("browser_session")
    with op.batch_alter_table("authorization_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_code_expires_at"))
        batch_op.drop_index("ix_authorization_code_client_nonce")

    op.drop_table("authorization_code")
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_citizen_pk"))

    op.drop_table("vehicle")
    with op.batch_alter_table("vaccination", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vaccination_citizen_pk"))

    op.drop_table("vaccination")
    op.drop_table("social_insurance")
    op.drop_table("health_insurance")
    with op.batch_alter_table("education_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_credential_citizen_pk"))

    op.drop_table("education_credential")
    with op.batch_alter_table("driving_license", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_driving_license_citizen_pk"))

    op.drop_table("driving_license")
    op.drop_table("account")
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_key_alg"))

    op.drop_table("signing_key")
    op.drop_table("client")
    op.drop_table("citizen")
