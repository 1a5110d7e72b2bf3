"""ticket_history.agent and agent_name (who called: per-agent reports); services.alert_wait_s (supervisors' alert)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_history') as batch:
        batch.add_column(sa.Column('agent', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column('agent_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                   server_default=''))
    with op.batch_alter_table('services') as batch:
        batch.add_column(sa.Column('alert_wait_s', sa.Integer(), nullable=False, server_default='1200'))


def downgrade() -> None:
    with op.batch_alter_table('services') as batch:
        batch.drop_column('alert_wait_s')
    with op.batch_alter_table('ticket_history') as batch:
        batch.drop_column('agent_name')
        batch.drop_column('agent')
