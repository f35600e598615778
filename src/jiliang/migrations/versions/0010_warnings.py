"""early warning: notice outbox, deliveries, inbox and read marks, computed warnings, monthly
snapshots, lead-time settings

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-27 07:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.Column('dedup_key', sa.String(length=160), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_notice_outbox_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_outbox')),
    sa.UniqueConstraint('org_id', 'topic', 'dedup_key', name='uq_notice_outbox_org_topic_key')
    )
    op.create_table('notice_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['notice_outbox.id'], name=op.f('fk_notice_deliveries_notice_id_notice_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_deliveries')),
    sa.UniqueConstraint('notice_id', 'channel', name='uq_notice_deliveries_notice_channel')
    )
    with op.batch_alter_table('notice_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_notice_deliveries_pending', ['status', 'channel', 'id'], unique=False)

    op.create_table('inbox_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notice_outbox.id'], name=op.f('fk_inbox_items_notice_id_notice_outbox')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_inbox_items_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items')),
    sa.UniqueConstraint('notice_id', name=op.f('uq_inbox_items_notice_id'))
    )
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_items_org', ['org_id', 'id'], unique=False)

    op.create_table('inbox_reads',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['inbox_items.id'], name=op.f('fk_inbox_reads_item_id_inbox_items')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inbox_reads_user_id_users')),
    sa.PrimaryKeyConstraint('item_id', 'user_id', name=op.f('pk_inbox_reads'))
    )
    op.create_table('instrument_warnings',
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('basis_due', sa.Date(), nullable=True),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=True),
    sa.Column('computed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], name=op.f('fk_instrument_warnings_instrument_id_instruments')),
    sa.PrimaryKeyConstraint('instrument_id', name=op.f('pk_instrument_warnings'))
    )
    with op.batch_alter_table('instrument_warnings', schema=None) as batch_op:
        batch_op.create_index('ix_instrument_warnings_city', ['city_code', 'kind', 'due_on', 'instrument_id'], unique=False)
        batch_op.create_index('ix_instrument_warnings_county', ['region_code', 'kind', 'due_on', 'instrument_id'], unique=False)
        batch_op.create_index('ix_instrument_warnings_kind', ['kind', 'due_on', 'instrument_id'], unique=False)
        batch_op.create_index('ix_instrument_warnings_owner', ['owner_org_id', 'kind', 'due_on', 'instrument_id'], unique=False)

    op.create_table('warning_counts',
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=True),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('region_code', 'kind', name=op.f('pk_warning_counts'))
    )

    op.create_table('warning_snapshots',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('active', sa.Integer(), nullable=False),
    sa.Column('due_soon', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('past_life', sa.Integer(), nullable=False),
    sa.Column('verified', sa.Integer(), nullable=False),
    sa.Column('mandatory', sa.Integer(), nullable=False),
    sa.Column('filed', sa.Integer(), nullable=True),
    sa.Column('verified_on_time', sa.Integer(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'region_code', name=op.f('pk_warning_snapshots'))
    )
    with op.batch_alter_table('warning_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_warning_snapshots_city', ['city_code', 'month'], unique=False)

    op.create_table('warning_settings',
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_warning_settings_region_code_regions')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_warning_settings_updated_by_users')),
    sa.PrimaryKeyConstraint('region_code', name=op.f('pk_warning_settings'))
    )
    stale_warning_trigger(op.get_bind().dialect.name, op.execute)


# A change of an instrument's due date or region, or to a status outside the active ones, makes
# its warning stale: remove it and take it off the county's count, in the same transaction.
ACTIVE_SQL = "('registered', 'in_service', 'due', 'overdue')"
STALE_WHEN = (f"NEW.due_date IS DISTINCT FROM OLD.due_date OR NEW.region_code IS DISTINCT FROM OLD.region_code "
              f"OR NEW.status NOT IN {ACTIVE_SQL}")
UNCOUNT = ("UPDATE warning_counts SET n = n - 1 WHERE EXISTS (SELECT 1 FROM instrument_warnings w "
           "WHERE w.instrument_id = NEW.id AND w.region_code = warning_counts.region_code "
           "AND w.kind = warning_counts.kind)")
DROP_WARNING = "DELETE FROM instrument_warnings WHERE instrument_id = NEW.id"


def stale_warning_trigger(dialect: str, execute) -> None:
    if dialect == "postgresql":
        execute("CREATE OR REPLACE FUNCTION jiliang_stale_warning() RETURNS trigger AS $$ BEGIN "
                f"{UNCOUNT}; {DROP_WARNING}; RETURN NULL; END; $$ LANGUAGE plpgsql")
        execute("CREATE TRIGGER instruments_stale_warning AFTER UPDATE OF due_date, region_code, status "
                f"ON instruments FOR EACH ROW WHEN ({STALE_WHEN}) EXECUTE FUNCTION jiliang_stale_warning()")
        return
    when = STALE_WHEN.replace("IS DISTINCT FROM", "IS NOT")
    execute("CREATE TRIGGER instruments_stale_warning AFTER UPDATE OF due_date, region_code, status ON instruments "
            f"WHEN {when} BEGIN {UNCOUNT}; {DROP_WARNING}; END")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS instruments_stale_warning" + (
        " ON instruments" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS jiliang_stale_warning()")
    op.drop_table('warning_counts')
    op.drop_table('warning_settings')
    with op.batch_alter_table('warning_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_warning_snapshots_city')
    op.drop_table('warning_snapshots')
    with op.batch_alter_table('instrument_warnings', schema=None) as batch_op:
        batch_op.drop_index('ix_instrument_warnings_owner')
        batch_op.drop_index('ix_instrument_warnings_kind')
        batch_op.drop_index('ix_instrument_warnings_county')
        batch_op.drop_index('ix_instrument_warnings_city')
    op.drop_table('instrument_warnings')
    op.drop_table('inbox_reads')
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_items_org')
    op.drop_table('inbox_items')
    with op.batch_alter_table('notice_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_deliveries_pending')
    op.drop_table('notice_deliveries')
    op.drop_table('notice_outbox')
