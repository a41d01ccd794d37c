"""Recovery codes; when the password was last changed; authenticators waiting for a first code.

Revision ID: 0009_recovery_codes
Revises: 0008_activation
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_recovery_codes"
down_revision = "0008_activation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_pending_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("totp_pending_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_recovery_code_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint("account_id", "code_hash", name=op.f("uq_recovery_code_account_id")),
    )


def downgrade():
    # A sign-in in the middle of a recovery cannot go on without its states.
    op.execute("DELETE FROM authorization_transaction WHERE state IN ('RECOVERY', 'NEW_TOTP')")
    op.drop_table("recovery_code")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("totp_pending_expires_at")
        batch_op.drop_column("totp_pending_sealed")
        batch_op.drop_column("password_changed_at")
