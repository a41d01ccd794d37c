"""Portals declare a purpose and legal basis per scope; consents keep them and can be revoked.

Revision ID: 0010_consent_purposes
Revises: 0009_recovery_codes
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_consent_purposes"
down_revision = "0009_recovery_codes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("organisation", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("purposes", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(
            sa.Column("essential_scopes", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purposes", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE consent SET updated_at = granted_at")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade():
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("purposes")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_column("essential_scopes")
        batch_op.drop_column("purposes")
        batch_op.drop_column("organisation")
