"""tenants.website_origins: the collectivity's websites, trusted to embed pages and open the live feed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 06:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tenants') as batch:
        batch.add_column(sa.Column('website_origins', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('tenants') as batch:
        batch.drop_column('website_origins')
