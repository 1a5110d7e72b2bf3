"""services.sms_ahead: people ahead of a visitor when their "turn is near" SMS goes (0: none)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 06:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('services') as batch:
        batch.add_column(sa.Column('sms_ahead', sa.Integer(), nullable=False, server_default='3'))


def downgrade() -> None:
    with op.batch_alter_table('services') as batch:
        batch.drop_column('sms_ahead')
