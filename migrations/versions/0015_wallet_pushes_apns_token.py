"""wallet pushes from the outbox, APNs token authentication

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 14:25:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wallet_pushes',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('change', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('wallet_pushes', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_pushes_due', ['next_attempt_at'], unique=False)
    with op.batch_alter_table('wallet_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('apple_apns_key_id', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('apple_apns_key_ciphertext', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('wallet_settings', schema=None) as batch_op:
        batch_op.drop_column('apple_apns_key_ciphertext')
        batch_op.drop_column('apple_apns_key_id')
    with op.batch_alter_table('wallet_pushes', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_pushes_due')
    op.drop_table('wallet_pushes')
