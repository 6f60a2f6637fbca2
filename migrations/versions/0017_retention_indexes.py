"""retention indexes: events by age, finished deliveries by age, deliveries by event

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 14:45:00.000000

The worker prunes delivered and failed deliveries, then events no delivery refers to, once
they are older than PASSGATE_EVENT_RETENTION_DAYS (resolvers/retention.py). Each of its
questions is one of these indexes; the last also serves the foreign-key check PostgreSQL
makes for each deleted event.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DONE = sa.text("state <> 'pending'")


def upgrade() -> None:
    op.create_index('ix_events_occurred_at', 'events', ['occurred_at'], unique=False)
    op.create_index('ix_webhook_deliveries_done', 'webhook_deliveries', ['created_at'],
                    unique=False, postgresql_where=DONE, sqlite_where=DONE)
    op.create_index('ix_webhook_deliveries_event', 'webhook_deliveries', ['event_seq'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_event', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_done', table_name='webhook_deliveries',
                  postgresql_where=DONE, sqlite_where=DONE)
    op.drop_index('ix_events_occurred_at', table_name='events')
