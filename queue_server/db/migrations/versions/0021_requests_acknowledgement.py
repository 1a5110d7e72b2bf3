"""Requests' acknowledgement in two steps: a category's choice of one e-mail or a registration receipt then the
acknowledgement of receipt (requests_categories.acknowledge_at_once), and when a request's acknowledgement went
(requests.acknowledged_at; the requests of before, acknowledged by e-mail at once, have it as their receipt)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('requests_categories') as batch:
        batch.add_column(sa.Column('acknowledge_at_once', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    with op.batch_alter_table('requests') as batch:
        batch.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
    # Until now a request with an e-mail address was acknowledged by the e-mail written at its creation.
    op.execute("UPDATE requests SET acknowledged_at = received_at WHERE email IS NOT NULL AND email <> ''")


def downgrade() -> None:
    with op.batch_alter_table('requests') as batch:
        batch.drop_column('acknowledged_at')
    with op.batch_alter_table('requests_categories') as batch:
        batch.drop_column('acknowledge_at_once')
