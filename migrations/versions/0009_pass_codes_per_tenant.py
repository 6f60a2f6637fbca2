"""pass codes unique per tenant; the vendor's id of an imported pass; minted or given codes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op

from resolvers import search

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0001 left the global unique constraint on passes.code unnamed: PostgreSQL named it
# passes_code_key; SQLite's batch mode names it through this convention when it reflects.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique() -> str:
    return "passes_code_key" if op.get_bind().dialect.name == "postgresql" else "uq_passes_code"


@contextmanager
def _recreating_passes() -> Iterator[None]:
    """SQLite's batch mode recreates ``passes``, which drops its search and count triggers
    and renumbers the rowids its FTS index is keyed by: take them down first and put them
    back, rebuilt, after (as resolvers/search.py asks)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        search.uninstall(op.execute, "sqlite")
    yield
    if sqlite:
        search.install(op.execute, "sqlite")


def upgrade() -> None:
    with _recreating_passes(), op.batch_alter_table("passes",
                                                    naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column("code_minted", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.drop_constraint(_old_unique(), type_="unique")
        batch_op.create_unique_constraint("uq_passes_tenant_code", ["code", "tenant_id"])
        batch_op.create_unique_constraint("uq_passes_tenant_external_id",
                                          ["tenant_id", "external_id"])


def downgrade() -> None:
    with _recreating_passes(), op.batch_alter_table("passes",
                                                    naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint("uq_passes_tenant_external_id", type_="unique")
        batch_op.drop_constraint("uq_passes_tenant_code", type_="unique")
        batch_op.create_unique_constraint(_old_unique(), ["code"])
        batch_op.drop_column("code_minted")
        batch_op.drop_column("external_id")
