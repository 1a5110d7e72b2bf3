"""sites.remote_tickets: whether citizens may take a ticket from home in the ticket widget (off by default)

Revision ID: 0017
Revises: 0016
Create Date: 2027-01-20 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - the template's import, for the column types of later edits
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: batch mode would copy the table, and SQLite refuses to drop one that rows refer to.
    op.add_column('sites', sa.Column('remote_tickets', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('remote_tickets')
