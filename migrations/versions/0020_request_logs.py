"""request logs: The Wallet Crew's Insights Logs table

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 17:20:00.000000

One row per API request of a tenant's keys, written in batches by the gateway and pruned by
the worker's sweep after PASSGATE_REQUEST_LOG_RETENTION_DAYS (resolvers/request_logs.py).
Read newest first per tenant (tenant_id, id), pruned by age (at).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('request_logs',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('operation', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Float(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_request_logs_tenant_id', 'request_logs', ['tenant_id', 'id'],
                    unique=False)
    op.create_index('ix_request_logs_at', 'request_logs', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_request_logs_at', table_name='request_logs')
    op.drop_index('ix_request_logs_tenant_id', table_name='request_logs')
    op.drop_table('request_logs')
