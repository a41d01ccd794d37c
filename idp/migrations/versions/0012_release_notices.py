"""Consents remember which releases the citizen has been told of.

Revision ID: 0012_release_notices
Revises: 0011_session_devices
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_release_notices"
down_revision = "0011_session_devices"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notified_scopes", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("sensitive_notified_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_column("sensitive_notified_at")
        batch_op.drop_column("notified_scopes")
