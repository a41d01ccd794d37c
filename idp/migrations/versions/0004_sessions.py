"""Session identifiers and idle expiry; sid and requested ID-token claims on codes.

Revision ID: 0004_sessions
Revises: 0003_keys
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_sessions"
down_revision = "0003_keys"
branch_labels = None
depends_on = None


def upgrade():
    # Sessions from before this revision cannot be given a sid: they are ended.
    op.execute("DELETE FROM authorization_transaction WHERE browser_session_id IS NOT NULL")
    op.execute("DELETE FROM browser_session")
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sid", sa.String(length=43), nullable=False))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_browser_session_sid"), ["sid"])
    with op.batch_alter_table("authorization_code", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sid", sa.String(length=43), nullable=True))
        batch_op.add_column(sa.Column("id_token_claims", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_authorization_code_sid"), ["sid"], unique=False)


def downgrade():
    with op.batch_alter_table("authorization_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_code_sid"))
        batch_op.drop_column("id_token_claims")
        batch_op.drop_column("sid")
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_browser_session_sid"), type_="unique")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("sid")
