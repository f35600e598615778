"""reverse traceability: cases (a standard found out of tolerance over a date window) and their
impact items (one per affected calibration result, with its disposition)

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-27 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trace_reverse_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('lab_org_id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=True),
    sa.Column('subject_label', sa.String(length=300), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('error_found', sa.Float(), nullable=False),
    sa.Column('error_unit', sa.String(length=30), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('closed_items', sa.Integer(), nullable=False),
    sa.Column('max_depth', sa.Integer(), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['lab_org_id'], ['organisations.id'], name=op.f('fk_trace_reverse_cases_lab_org_id_organisations')),
    sa.ForeignKeyConstraint(['opened_by'], ['users.id'], name=op.f('fk_trace_reverse_cases_opened_by_users')),
    sa.ForeignKeyConstraint(['standard_id'], ['measurement_standards.id'], name=op.f('fk_trace_reverse_cases_standard_id_measurement_standards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_reverse_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_trace_reverse_cases_number'))
    )
    with op.batch_alter_table('trace_reverse_cases', schema=None) as batch_op:
        batch_op.create_index('ix_trace_reverse_cases_lab', ['lab_org_id', 'status'], unique=False)

    op.create_table('trace_reverse_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('record_number', sa.String(length=40), nullable=False),
    sa.Column('lab_org_id', sa.Integer(), nullable=False),
    sa.Column('performed_on', sa.Date(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.Column('certificate_number', sa.String(length=64), nullable=True),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('serial_no', sa.String(length=100), nullable=True),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('owner_name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('city_code', sa.String(length=6), nullable=True),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('via', sa.JSON(), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('verdict_may_change', sa.Boolean(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('disposition', sa.String(length=30), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['trace_reverse_cases.id'], name=op.f('fk_trace_reverse_items_case_id_trace_reverse_cases')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_trace_reverse_items_decided_by_users')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_trace_reverse_items_owner_org_id_organisations')),
    sa.ForeignKeyConstraint(['record_id'], ['calibration_records.id'], name=op.f('fk_trace_reverse_items_record_id_calibration_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_reverse_items')),
    sa.UniqueConstraint('case_id', 'record_id', name='uq_trace_reverse_items_case_record')
    )
    with op.batch_alter_table('trace_reverse_items', schema=None) as batch_op:
        batch_op.create_index('ix_trace_reverse_items_case_lab', ['case_id', 'lab_org_id'], unique=False)
        batch_op.create_index('ix_trace_reverse_items_case_owner', ['case_id', 'owner_org_id'], unique=False)
        batch_op.create_index('ix_trace_reverse_items_case_region', ['case_id', 'region_code'], unique=False)
        batch_op.create_index('ix_trace_reverse_items_case_status', ['case_id', 'status', 'depth'], unique=False)

    # covering indexes for the reverse trace (index-only scans)
    with op.batch_alter_table('calibration_record_refs', schema=None) as batch_op:
        batch_op.create_index('ix_record_refs_reverse', ['ref_kind', 'ref_id', 'performed_on', 'record_id'], unique=False)
    with op.batch_alter_table('calibration_records', schema=None) as batch_op:
        batch_op.create_index('ix_calrec_status_id', ['status', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calibration_records', schema=None) as batch_op:
        batch_op.drop_index('ix_calrec_status_id')
    with op.batch_alter_table('calibration_record_refs', schema=None) as batch_op:
        batch_op.drop_index('ix_record_refs_reverse')

    with op.batch_alter_table('trace_reverse_items', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_reverse_items_case_status')
        batch_op.drop_index('ix_trace_reverse_items_case_region')
        batch_op.drop_index('ix_trace_reverse_items_case_owner')
        batch_op.drop_index('ix_trace_reverse_items_case_lab')

    op.drop_table('trace_reverse_items')
    with op.batch_alter_table('trace_reverse_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_reverse_cases_lab')

    op.drop_table('trace_reverse_cases')
