"""dynamic QR scans keep the visitor's device class and country (never the IP)

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 17:50:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs; scans recorded before keep NULL (their device class is read from
    # the stored user agent; their country is unknown: the IP was never kept).
    op.add_column('qr_scans', sa.Column('device', sa.String(length=10), nullable=True))
    op.add_column('qr_scans', sa.Column('country', sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('qr_scans', schema=None) as batch_op:
        batch_op.drop_column('country')
        batch_op.drop_column('device')
