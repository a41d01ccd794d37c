"""Signing keys activate at a set time, so a rotated-in key is published before it signs.

Revision ID: 0003_keys
Revises: 0002_tokens
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_keys"
down_revision = "0002_tokens"
branch_labels = None
depends_on = None


def upgrade():
    # Existing keys have signed since they were created.
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activates_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE signing_key SET activates_at = created_at")
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.alter_column(
            "activates_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade():
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.drop_column("activates_at")
