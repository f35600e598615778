"""mandatory filings (强检备案) of instruments under mandatory verification

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-27 07:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mandatory_filings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=True),
    sa.Column('serial_no', sa.String(length=100), nullable=False),
    sa.Column('owner_name', sa.String(length=200), nullable=False),
    sa.Column('use', sa.String(length=30), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('institution_org_id', sa.Integer(), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['institution_org_id'], ['organisations.id'], name=op.f('fk_mandatory_filings_institution_org_id_organisations')),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], name=op.f('fk_mandatory_filings_instrument_id_instruments')),
    sa.ForeignKeyConstraint(['item_id'], ['mandatory_catalogue_items.id'], name=op.f('fk_mandatory_filings_item_id_mandatory_catalogue_items')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_mandatory_filings_owner_org_id_organisations')),
    sa.ForeignKeyConstraint(['previous_id'], ['mandatory_filings.id'], name=op.f('fk_mandatory_filings_previous_id_mandatory_filings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mandatory_filings'))
    )
    with op.batch_alter_table('mandatory_filings', schema=None) as batch_op:
        batch_op.create_index('ix_filings_city', ['city_code', 'status'], unique=False)
        batch_op.create_index('ix_filings_instrument', ['instrument_id', 'status'], unique=False)
        batch_op.create_index('ix_filings_owner', ['owner_org_id', 'status'], unique=False)
        batch_op.create_index('ix_filings_region', ['region_code', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mandatory_filings', schema=None) as batch_op:
        batch_op.drop_index('ix_filings_region')
        batch_op.drop_index('ix_filings_owner')
        batch_op.drop_index('ix_filings_instrument')
        batch_op.drop_index('ix_filings_city')

    op.drop_table('mandatory_filings')
