"""wallet settings, device registrations, pass wallet tag

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 10:19:52.278442
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wallet_settings',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('apple_pass_type_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('apple_team_id', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('apple_organization', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('apple_certificate_pem', sa.Text(), nullable=True),
    sa.Column('apple_key_ciphertext', sa.Text(), nullable=True),
    sa.Column('apple_wwdr_pem', sa.Text(), nullable=True),
    sa.Column('google_issuer_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('google_service_account_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('google_key_ciphertext', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('tenant_id')
    )
    op.create_table('wallet_registrations',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('pass_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('device_library_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('pass_type_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('push_token', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['pass_id'], ['passes.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('device_library_id', 'pass_type_id', 'pass_id', name='uq_wallet_registrations_device_pass')
    )
    with op.batch_alter_table('wallet_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_registrations_pass_id', ['pass_id'], unique=False)

    with op.batch_alter_table('passes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wallet_updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('passes', schema=None) as batch_op:
        batch_op.drop_column('wallet_updated_at')

    with op.batch_alter_table('wallet_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_registrations_pass_id')

    op.drop_table('wallet_registrations')
    op.drop_table('wallet_settings')
