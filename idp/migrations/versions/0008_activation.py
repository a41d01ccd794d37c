"""Activation: accounts without a password (not yet activated, or reset), the language of a
citizen's notices, activation requests, and the development notifier's outbox.

Revision ID: 0008_activation
Revises: 0007_audit_ledger
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_activation"
down_revision = "0007_audit_ledger"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=200), nullable=True)
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), server_default="vi", nullable=False)
        )
    op.create_table(
        "activation_request",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("citizen_pk", sa.Integer(), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column("masked_contact", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_pk"],
            ["citizen.id"],
            name=op.f("fk_activation_request_citizen_pk_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_request")),
    )
    with op.batch_alter_table("activation_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activation_request_citizen_pk"), ["citizen_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activation_request_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_created_at"))
    op.drop_table("outbox_message")
    with op.batch_alter_table("activation_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activation_request_expires_at"))
        batch_op.drop_index(batch_op.f("ix_activation_request_citizen_pk"))
    op.drop_table("activation_request")
    # An account without a password gets a value that is no Argon2 hash: it still cannot sign in.
    op.execute("UPDATE account SET password_hash = '!' WHERE password_hash IS NULL")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.alter_column("password_hash", existing_type=sa.String(length=200), nullable=False)
