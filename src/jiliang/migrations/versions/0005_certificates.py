"""certificates: issued certificates (signed DCC bytes, PDF) and per-organisation number sequences;
merges the feature heads

Revision ID: 0005
Revises: 0002, 0003, 0004
Create Date: 2026-11-27 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = ('0002', '0003', '0004')
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificate_sequences',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_certificate_sequences_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', 'year', 'kind', name=op.f('pk_certificate_sequences'))
    )
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('lab_org_id', sa.Integer(), nullable=False),
    sa.Column('customer_org_id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('conformity', sa.String(length=20), nullable=True),
    sa.Column('xml', sa.LargeBinary(), nullable=False),
    sa.Column('xml_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('key_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('signer_name', sa.String(length=100), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_by', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('end_log_index', sa.Integer(), nullable=True),
    sa.Column('superseded_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['customer_org_id'], ['organisations.id'], name=op.f('fk_certificates_customer_org_id_organisations')),
    sa.ForeignKeyConstraint(['ended_by'], ['users.id'], name=op.f('fk_certificates_ended_by_users')),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], name=op.f('fk_certificates_instrument_id_instruments')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_certificates_issued_by_users')),
    sa.ForeignKeyConstraint(['lab_org_id'], ['organisations.id'], name=op.f('fk_certificates_lab_org_id_organisations')),
    sa.ForeignKeyConstraint(['record_id'], ['calibration_records.id'], name=op.f('fk_certificates_record_id_calibration_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('number', name=op.f('uq_certificates_number')),
    sa.UniqueConstraint('record_id', name=op.f('uq_certificates_record_id'))
    )
    op.create_index('ix_certificates_customer', 'certificates', ['customer_org_id'], unique=False)
    op.create_index(op.f('ix_certificates_instrument_id'), 'certificates', ['instrument_id'], unique=False)
    op.create_index('ix_certificates_lab_status', 'certificates', ['lab_org_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_certificates_lab_status', table_name='certificates')
    op.drop_index(op.f('ix_certificates_instrument_id'), table_name='certificates')
    op.drop_index('ix_certificates_customer', table_name='certificates')
    op.drop_table('certificates')
    op.drop_table('certificate_sequences')
