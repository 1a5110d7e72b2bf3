"""site_logos (a site's logo for its screens and tickets) and services.ticket_message (printed on tickets)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'site_logos',
        sa.Column('site_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id']),
        sa.PrimaryKeyConstraint('site_id'),
    )
    with op.batch_alter_table('services') as batch:
        batch.add_column(sa.Column('ticket_message', sa.String(length=200), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('services') as batch:
        batch.drop_column('ticket_message')
    op.drop_table('site_logos')
