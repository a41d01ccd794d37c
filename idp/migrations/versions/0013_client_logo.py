"""Portals may have a logo, kept in the database and served by the provider.

Revision ID: 0013_client_logo
Revises: 0012_release_notices
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_client_logo"
down_revision = "0012_release_notices"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("logo_type", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_column("logo_type")
        batch_op.drop_column("logo")
