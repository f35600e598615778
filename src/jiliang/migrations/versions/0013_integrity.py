"""integrity: commitments, capability self-declarations, rating snapshots

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 07:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('integrity_commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('text_version', sa.String(length=20), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=True),
    sa.Column('signer_name', sa.String(length=100), nullable=False),
    sa.Column('signer_title', sa.String(length=100), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_integrity_commitments_org_id_organisations')),
    sa.ForeignKeyConstraint(['signer_id'], ['users.id'], name=op.f('fk_integrity_commitments_signer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_commitments'))
    )
    with op.batch_alter_table('integrity_commitments', schema=None) as batch_op:
        batch_op.create_index('ix_integrity_commitments_org', ['org_id', 'status'], unique=False)

    op.create_table('integrity_declarations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('management', sa.Text(), nullable=False),
    sa.Column('management_certified', sa.String(length=100), nullable=True),
    sa.Column('instruments_count', sa.Integer(), nullable=False),
    sa.Column('instruments_note', sa.Text(), nullable=True),
    sa.Column('standards_count', sa.Integer(), nullable=False),
    sa.Column('standards_note', sa.Text(), nullable=True),
    sa.Column('staff_count', sa.Integer(), nullable=False),
    sa.Column('registered_metrologists', sa.Integer(), nullable=False),
    sa.Column('traceability', sa.Text(), nullable=False),
    sa.Column('declared_on', sa.Date(), nullable=False),
    sa.Column('declared_by', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['declared_by'], ['users.id'], name=op.f('fk_integrity_declarations_declared_by_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_integrity_declarations_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_declarations'))
    )
    with op.batch_alter_table('integrity_declarations', schema=None) as batch_op:
        batch_op.create_index('ix_integrity_declarations_org', ['org_id', 'status'], unique=False)

    op.create_table('integrity_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=False),
    sa.Column('formula_version', sa.String(length=10), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_integrity_ratings_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_ratings')),
    sa.UniqueConstraint('org_id', 'as_of', name='uq_integrity_ratings_org_as_of')
    )
    with op.batch_alter_table('integrity_ratings', schema=None) as batch_op:
        batch_op.create_index('ix_integrity_ratings_as_of', ['as_of', 'grade'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('integrity_ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_integrity_ratings_as_of')
    op.drop_table('integrity_ratings')
    with op.batch_alter_table('integrity_declarations', schema=None) as batch_op:
        batch_op.drop_index('ix_integrity_declarations_org')
    op.drop_table('integrity_declarations')
    with op.batch_alter_table('integrity_commitments', schema=None) as batch_op:
        batch_op.drop_index('ix_integrity_commitments_org')
    op.drop_table('integrity_commitments')
