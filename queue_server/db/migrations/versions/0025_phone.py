"""The phone desk: the reasons each collectivity offers, the calls, the callbacks they promise, and the deletion
reports of their retention

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('phone_reasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'reason', name='uq_phone_reasons_tenant_reason')
    )
    op.create_table('phone_calls',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('party', sa.Integer(), nullable=True),
    sa.Column('caller', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reason_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('sheets', sa.JSON(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('service_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('agent', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('agent_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_phone_calls_tenant_party', 'phone_calls', ['tenant_id', 'party'], unique=False)
    op.create_index('ix_phone_calls_tenant_started', 'phone_calls', ['tenant_id', 'started_at'], unique=False)
    op.create_table('phone_callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('call_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('agent', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('service_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('outcome_note', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['phone_calls.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_phone_callbacks_call', 'phone_callbacks', ['call_id'], unique=False)
    op.create_index('ix_phone_callbacks_tenant_status_due', 'phone_callbacks', ['tenant_id', 'status', 'due_at'],
                    unique=False)
    op.create_table('phone_purges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('callbacks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_phone_purges_tenant_id'), 'phone_purges', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_phone_purges_tenant_id'), table_name='phone_purges')
    op.drop_table('phone_purges')
    op.drop_index('ix_phone_callbacks_tenant_status_due', table_name='phone_callbacks')
    op.drop_index('ix_phone_callbacks_call', table_name='phone_callbacks')
    op.drop_table('phone_callbacks')
    op.drop_index('ix_phone_calls_tenant_started', table_name='phone_calls')
    op.drop_index('ix_phone_calls_tenant_party', table_name='phone_calls')
    op.drop_table('phone_calls')
    op.drop_table('phone_reasons')
