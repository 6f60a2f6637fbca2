"""Google Wallet callback nonces (a repeated delivery changes nothing)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 17:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wallet_callback_nonces',
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('nonce')
    )
    with op.batch_alter_table('wallet_callback_nonces', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_callback_nonces_expires_at', ['expires_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wallet_callback_nonces', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_callback_nonces_expires_at')
    op.drop_table('wallet_callback_nonces')
