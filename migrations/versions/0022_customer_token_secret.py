"""per-tenant secret signing customer tokens (JWTs), sealed

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 17:35:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: tenants has no triggers to keep.
    op.add_column('tenants', sa.Column('customer_token_secret', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('customer_token_secret')
