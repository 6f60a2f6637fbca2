"""templates.kind_label: the client's own word for a template's kind (PassQR's ticket)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 14:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('templates') as batch_op:
        batch_op.add_column(sa.Column('kind_label', sqlmodel.sql.sqltypes.AutoString(length=40),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('templates') as batch_op:
        batch_op.drop_column('kind_label')
