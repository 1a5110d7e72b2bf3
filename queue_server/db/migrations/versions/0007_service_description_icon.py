"""services.description and services.icon: what the kiosk shows on a service's button

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('services') as batch:
        batch.add_column(sa.Column('description', sa.String(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('icon', sa.String(length=32), nullable=False, server_default='default'))


def downgrade() -> None:
    with op.batch_alter_table('services') as batch:
        batch.drop_column('icon')
        batch.drop_column('description')
