"""services.outcomes and ticket_history.outcome: how a visit ended, from a list its service offers

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 19:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (the template's: models' column types)
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: batch mode would copy the tables, and SQLite refuses to drop one that rows refer to.
    op.add_column('services', sa.Column('outcomes', sa.JSON(), nullable=True))
    op.add_column('ticket_history', sa.Column('outcome', sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ticket_history') as batch:
        batch.drop_column('outcome')
    with op.batch_alter_table('services') as batch:
        batch.drop_column('outcomes')
