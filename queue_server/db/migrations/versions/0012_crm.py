"""The citizen record (CRM): parties, contact points, relations, the words they are found by (and their
typo keys), timelines, sectors and their services and members, proposed duplicates, purge reports

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 13:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# Compared byte for byte on PostgreSQL, so that an index answers "starts with".
WORD = sa.String(length=40).with_variant(sa.String(length=40, collation='C'), 'postgresql')

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crm_purges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('crm_purges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_purges_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('crm_word_keys',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key', WORD, nullable=False),
    sa.Column('word', WORD, nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'key', 'word')
    )
    op.create_table('crm_parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('rna', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('siren', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=True),
    sa.Column('siret', sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True),
    sa.Column('activity', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('tags', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dealt_with_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('crm_parties', schema=None) as batch_op:
        batch_op.create_index('ix_crm_parties_tenant_dealt', ['tenant_id', 'dealt_with_at', 'id'], unique=False)
        batch_op.create_index('ix_crm_parties_tenant_rna', ['tenant_id', 'rna'], unique=False)
        batch_op.create_index('ix_crm_parties_tenant_siren', ['tenant_id', 'siren'], unique=False)
        batch_op.create_index('ix_crm_parties_tenant_siret', ['tenant_id', 'siret'], unique=False)

    op.create_table('crm_sectors',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sealed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    op.create_table('crm_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('consent_sms', sa.Boolean(), nullable=False),
    sa.Column('consent_email', sa.Boolean(), nullable=False),
    sa.Column('consent_surveys', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['crm_parties.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('crm_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_contacts_party_id'), ['party_id'], unique=False)
        batch_op.create_index('ix_crm_contacts_tenant_key', ['tenant_id', 'kind', 'key'], unique=False)

    op.create_table('crm_duplicates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['crm_parties.id'], ),
    sa.ForeignKeyConstraint(['party_id'], ['crm_parties.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('party_id', 'other_id')
    )
    with op.batch_alter_table('crm_duplicates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_duplicates_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('crm_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('sector', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('site_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('detail', sa.JSON(), server_default='{}', nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['crm_parties.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'source')
    )
    with op.batch_alter_table('crm_entries', schema=None) as batch_op:
        batch_op.create_index('ix_crm_entries_party_at', ['party_id', 'at'], unique=False)

    op.create_table('crm_relations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['crm_parties.id'], ),
    sa.ForeignKeyConstraint(['party_id'], ['crm_parties.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('party_id', 'other_id', 'role')
    )
    with op.batch_alter_table('crm_relations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_relations_other_id'), ['other_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_relations_party_id'), ['party_id'], unique=False)

    op.create_table('crm_sector_members',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sector_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'sector_id', 'user_id')
    )
    op.create_table('crm_sector_services',
    sa.Column('site_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('service_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sector_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('site_id', 'service_id')
    )
    op.create_table('crm_words',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('word', WORD, nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['crm_parties.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'word', 'party_id')
    )
    with op.batch_alter_table('crm_words', schema=None) as batch_op:
        batch_op.create_index('ix_crm_words_party_word', ['party_id', 'word'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('crm_words', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_words_party_word')

    op.drop_table('crm_words')
    op.drop_table('crm_sector_services')
    op.drop_table('crm_sector_members')
    with op.batch_alter_table('crm_relations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_relations_party_id'))
        batch_op.drop_index(batch_op.f('ix_crm_relations_other_id'))

    op.drop_table('crm_relations')
    with op.batch_alter_table('crm_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_entries_party_at')

    op.drop_table('crm_entries')
    with op.batch_alter_table('crm_duplicates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_duplicates_tenant_id'))

    op.drop_table('crm_duplicates')
    with op.batch_alter_table('crm_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_contacts_tenant_key')
        batch_op.drop_index(batch_op.f('ix_crm_contacts_party_id'))

    op.drop_table('crm_contacts')
    op.drop_table('crm_sectors')
    with op.batch_alter_table('crm_parties', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_parties_tenant_siret')
        batch_op.drop_index('ix_crm_parties_tenant_siren')
        batch_op.drop_index('ix_crm_parties_tenant_rna')
        batch_op.drop_index('ix_crm_parties_tenant_dealt')

    op.drop_table('crm_parties')
    op.drop_table('crm_word_keys')
    with op.batch_alter_table('crm_purges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_purges_tenant_id'))

    op.drop_table('crm_purges')
