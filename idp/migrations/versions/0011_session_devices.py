"""Browser sessions say which browser and network they came from, for the citizen's list.

Revision ID: 0011_session_devices
Revises: 0010_consent_purposes
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_session_devices"
down_revision = "0010_consent_purposes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("browser", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("network", sa.String(length=50), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.drop_column("network")
        batch_op.drop_column("browser")
