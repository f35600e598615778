"""complaints and reports: complaints, their timeline events, the anti-abuse hit log

Revision ID: 0012
Revises: 0006
Create Date: 2026-11-27 07:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket', sa.String(length=24), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=True),
    sa.Column('instrument_id', sa.Integer(), nullable=True),
    sa.Column('certificate_number', sa.String(length=64), nullable=True),
    sa.Column('subject_org_id', sa.Integer(), nullable=True),
    sa.Column('business_name', sa.String(length=200), nullable=False),
    sa.Column('business_address', sa.String(length=300), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('contact_email', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('accept_due', sa.Date(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('investigate_due', sa.Date(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('public_summary', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('reward_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('reward_date', sa.Date(), nullable=True),
    sa.Column('reward_approved_by', sa.String(length=100), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], name=op.f('fk_complaints_instrument_id_instruments')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_complaints_region_code_regions')),
    sa.ForeignKeyConstraint(['subject_org_id'], ['organisations.id'], name=op.f('fk_complaints_subject_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('ticket', name=op.f('uq_complaints_ticket'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_scope', ['city_code', 'region_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_status'), ['status'], unique=False)
        batch_op.create_index('ix_complaints_subject', ['subject_org_id', 'outcome'], unique=False)

    op.create_table('complaint_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_complaint_events_actor_id_users')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_events_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_events'))
    )
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_events_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('complaint_rate_hits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_kind', sa.String(length=10), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_rate_hits'))
    )
    with op.batch_alter_table('complaint_rate_hits', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_rate_hits_key', ['key_kind', 'key_hash', 'at'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        # the timeline is append-only
        op.execute("""
            CREATE OR REPLACE FUNCTION complaint_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'complaint_events is append-only';
            END;
            $$ LANGUAGE plpgsql;
        """)
        op.execute("""
            CREATE TRIGGER complaint_events_no_change BEFORE UPDATE OR DELETE ON complaint_events
            FOR EACH ROW EXECUTE FUNCTION complaint_events_append_only();
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS complaint_events_no_change ON complaint_events")
        op.execute("DROP FUNCTION IF EXISTS complaint_events_append_only()")
    with op.batch_alter_table('complaint_rate_hits', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_rate_hits_key')
    op.drop_table('complaint_rate_hits')
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_events_complaint_id'))
    op.drop_table('complaint_events')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_subject')
        batch_op.drop_index(batch_op.f('ix_complaints_status'))
        batch_op.drop_index('ix_complaints_scope')
    op.drop_table('complaints')
