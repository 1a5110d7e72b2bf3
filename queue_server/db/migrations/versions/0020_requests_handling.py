"""Handling requests: the agent in charge, the transmission to another administration (CRPA L114-2) and the
links it makes, duplicates merged into the request kept, and each tenant's reply templates

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('requests') as batch:
        batch.add_column(sa.Column('assignee', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column('transmitted_to', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column('transmitted_tenant_request', sqlmodel.sql.sqltypes.AutoString(length=32),
                                   nullable=True))
        batch.add_column(sa.Column('transmitted_from', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column('merged_into', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.create_index('ix_requests_tenant_assignee', 'requests', ['tenant_id', 'assignee'], unique=False)
    op.create_index('ix_requests_merged_into', 'requests', ['merged_into'], unique=False)
    op.create_table('requests_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_requests_templates_tenant', 'requests_templates', ['tenant_id', 'position'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_requests_templates_tenant', table_name='requests_templates')
    op.drop_table('requests_templates')
    op.drop_index('ix_requests_merged_into', table_name='requests')
    op.drop_index('ix_requests_tenant_assignee', table_name='requests')
    with op.batch_alter_table('requests') as batch:
        batch.drop_column('merged_into')
        batch.drop_column('transmitted_from')
        batch.drop_column('transmitted_tenant_request')
        batch.drop_column('transmitted_to')
        batch.drop_column('assignee')
