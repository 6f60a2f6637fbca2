"""qr codes, webhooks, accessgrid credentials

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:08:10.316560
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('qr_codes',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('destination_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('style', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('scan_count', sa.BigInteger(), nullable=False),
    sa.Column('last_scanned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.create_index('ix_qr_codes_tenant_id', ['tenant_id', 'id'], unique=False)

    op.create_table('webhooks',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('events', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('auth_method', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('secret_ciphertext', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.create_index('ix_webhooks_tenant_id', ['tenant_id', 'id'], unique=False)

    op.create_table('qr_scans',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('qr_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('scanned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('referrer', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('visitor_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['qr_id'], ['qr_codes.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('qr_scans', schema=None) as batch_op:
        batch_op.create_index('ix_qr_scans_qr_scanned_at', ['qr_id', 'scanned_at'], unique=False)

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('secret_ciphertext', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.create_unique_constraint('uq_api_keys_account_id', ['account_id'])

    with op.batch_alter_table('templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('templates', schema=None) as batch_op:
        batch_op.drop_column('published_at')
        batch_op.drop_column('settings')

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_constraint('uq_api_keys_account_id', type_='unique')
        batch_op.drop_column('secret_ciphertext')
        batch_op.drop_column('account_id')

    with op.batch_alter_table('qr_scans', schema=None) as batch_op:
        batch_op.drop_index('ix_qr_scans_qr_scanned_at')

    op.drop_table('qr_scans')
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.drop_index('ix_webhooks_tenant_id')

    op.drop_table('webhooks')
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_qr_codes_tenant_id')

    op.drop_table('qr_codes')

