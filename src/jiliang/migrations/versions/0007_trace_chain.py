"""traceability chain: nightly chain reports; the approver's recorded override of a broken chain

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trace_chain_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_at', sa.DateTime(), nullable=False),
    sa.Column('lab_org_id', sa.Integer(), nullable=False),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('traceable', sa.Integer(), nullable=False),
    sa.Column('broken', sa.Integer(), nullable=False),
    sa.Column('by_code', sa.JSON(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('truncated', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['lab_org_id'], ['organisations.id'], name=op.f('fk_trace_chain_reports_lab_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_chain_reports'))
    )
    with op.batch_alter_table('trace_chain_reports', schema=None) as batch_op:
        batch_op.create_index('ix_trace_chain_reports_lab', ['lab_org_id', 'run_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_chain_reports_run_at'), ['run_at'], unique=False)

    with op.batch_alter_table('calibration_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_override', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('calibration_records', schema=None) as batch_op:
        batch_op.drop_column('chain_override')

    with op.batch_alter_table('trace_chain_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trace_chain_reports_run_at'))
        batch_op.drop_index('ix_trace_chain_reports_lab')

    op.drop_table('trace_chain_reports')
