"""sites.region: the region that reads local phone numbers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 05:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False,
                                   server_default='FR'))


def downgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('region')
