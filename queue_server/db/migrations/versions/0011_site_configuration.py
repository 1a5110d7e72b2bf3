"""A site configures itself: address, colours, weekly hours, public holidays and kiosk settings on sites;
closures; services.priority (whether the kiosk offers priority tickets); audit details up to 4,000
characters (a configuration change keeps the values before and after)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('colours', sa.JSON(), nullable=False, server_default='["#000091", "#e1000f"]'))
        batch.add_column(sa.Column('hours', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('holiday_region', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column('kiosk_languages', sa.JSON(), nullable=False,
                                   server_default='["fr", "en", "es", "ar"]'))
        batch.add_column(sa.Column('kiosk_idle_s', sa.Integer(), nullable=True))
    op.create_table(
        'closures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('first', sa.Date(), nullable=False),
        sa.Column('last', sa.Date(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_closures_site_id'), 'closures', ['site_id'], unique=False)
    with op.batch_alter_table('services') as batch:
        batch.add_column(sa.Column('priority', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('audit_log') as batch:
        batch.alter_column('detail', type_=sqlmodel.sql.sqltypes.AutoString(length=4000),
                           existing_type=sqlmodel.sql.sqltypes.AutoString(length=500), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log') as batch:
        batch.alter_column('detail', type_=sqlmodel.sql.sqltypes.AutoString(length=500),
                           existing_type=sqlmodel.sql.sqltypes.AutoString(length=4000), existing_nullable=False)
    with op.batch_alter_table('services') as batch:
        batch.drop_column('priority')
    op.drop_index(op.f('ix_closures_site_id'), table_name='closures')
    op.drop_table('closures')
    with op.batch_alter_table('sites') as batch:
        for column in ('kiosk_idle_s', 'kiosk_languages', 'holiday_region', 'hours', 'colours', 'address'):
            batch.drop_column(column)
