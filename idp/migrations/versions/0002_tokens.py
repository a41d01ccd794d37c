"""Refresh tokens, JWT access tokens (jti, sid), private_key_jwt clients and their assertions.

Revision ID: 0002_tokens
Revises: 0001
Create Date: 2026-11-27

"""

import sqlalchemy as sa
from alembic import op

revision = "0002_tokens"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("authorization_code_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acr", sa.String(length=8), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("sid", sa.String(length=43), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_refresh_token_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["authorization_code_id"],
            ["authorization_code.id"],
            name=op.f("fk_refresh_token_authorization_code_id_authorization_code"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
    )
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refresh_token_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_refresh_token_authorization_code_id"),
            ["authorization_code_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_refresh_token_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_refresh_token_sid"), ["sid"], unique=False)

    op.create_table(
        "client_assertion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_assertion")),
        sa.UniqueConstraint("client_id", "jti", name=op.f("uq_client_assertion_client_id")),
    )
    with op.batch_alter_table("client_assertion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_assertion_expires_at"), ["expires_at"], unique=False
        )

    # Access tokens issued before this revision are opaque: they get a placeholder jti, unique
    # like a real one, and stay valid at userinfo until they expire.
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jti", sa.String(length=43), nullable=True))
        batch_op.add_column(sa.Column("sid", sa.String(length=43), nullable=True))
    op.execute("UPDATE token SET jti = 'opaque-' || CAST(id AS VARCHAR(20))")
    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.alter_column("jti", existing_type=sa.String(length=43), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_token_jti"), ["jti"])
        batch_op.create_index(batch_op.f("ix_token_sid"), ["sid"], unique=False)

    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jwks", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_column("jwks")

    with op.batch_alter_table("token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_token_sid"))
        batch_op.drop_constraint(batch_op.f("uq_token_jti"), type_="unique")
        batch_op.drop_column("sid")
        batch_op.drop_column("jti")

    with op.batch_alter_table("client_assertion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_assertion_expires_at"))
    op.drop_table("client_assertion")

    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_token_sid"))
        batch_op.drop_index(batch_op.f("ix_refresh_token_expires_at"))
        batch_op.drop_index(batch_op.f("ix_refresh_token_authorization_code_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_token_account_id"))
    op.drop_table("refresh_token")
