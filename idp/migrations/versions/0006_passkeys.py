"""Passkeys and their ceremonies' challenges; the WebAuthn user handle of an account.

Revision ID: 0006_passkeys
Revises: 0005_optional_pkce
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_passkeys"
down_revision = "0005_optional_pkce"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("passkey_user_handle", sa.LargeBinary(length=64), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_account_passkey_user_handle"), ["passkey_user_handle"]
        )
    op.create_table(
        "passkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(length=1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_passkey_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkey")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkey_credential_id")),
    )
    with op.batch_alter_table("passkey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_passkey_account_id"), ["account_id"], unique=False)
    op.create_table(
        "webauthn_challenge",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("browser_binding", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=43), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("user_verification", sa.String(length=9), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_webauthn_challenge_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_challenge")),
    )
    with op.batch_alter_table("webauthn_challenge", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webauthn_challenge_expires_at"), ["expires_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("webauthn_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webauthn_challenge_expires_at"))
    op.drop_table("webauthn_challenge")
    with op.batch_alter_table("passkey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passkey_account_id"))
    op.drop_table("passkey")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_account_passkey_user_handle"), type_="unique")
        batch_op.drop_column("passkey_user_handle")
