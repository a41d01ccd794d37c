"""A confidential client may be registered without PKCE (then a nonce is required).

Revision ID: 0005_optional_pkce
Revises: 0004_sessions
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_optional_pkce"
down_revision = "0004_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("require_pkce", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("authorization_code", schema=None) as batch_op:
        batch_op.alter_column("code_challenge", existing_type=sa.String(length=128), nullable=True)
        batch_op.alter_column(
            "code_challenge_method", existing_type=sa.String(length=10), nullable=True
        )


def downgrade():
    op.execute("DELETE FROM authorization_code WHERE code_challenge IS NULL")
    with op.batch_alter_table("authorization_code", schema=None) as batch_op:
        batch_op.alter_column(
            "code_challenge_method", existing_type=sa.String(length=10), nullable=False
        )
        batch_op.alter_column("code_challenge", existing_type=sa.String(length=128), nullable=False)
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_column("require_pkce")
