"""Requests on the citizen record: the party staff link a request to (requests.party), and the deletion reports
of the requests' retention (requests_purges)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('requests') as batch:
        batch.add_column(sa.Column('party', sa.Integer(), nullable=True))
    op.create_index('ix_requests_tenant_party', 'requests', ['tenant_id', 'party'], unique=False)
    op.create_table('requests_purges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('references', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_requests_purges_tenant_id'), 'requests_purges', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_requests_purges_tenant_id'), table_name='requests_purges')
    op.drop_table('requests_purges')
    op.drop_index('ix_requests_tenant_party', table_name='requests')
    with op.batch_alter_table('requests') as batch:
        batch.drop_column('party')
