"""campaigns: crews, sites, type minutes, holidays, campaigns, visits, capacity days, bookings, notices

Revision ID: e1a2b3c4d5f6
Revises: a9c4e2f7b1d3
Create Date: 2026-12-02 05:36:08.969388

"""
from alembic import op
import sqlalchemy as sa


revision = 'e1a2b3c4d5f6'
down_revision = 'a9c4e2f7b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('capacity_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('total_minutes', sa.Integer(), nullable=False),
    sa.Column('remaining_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('scale', 'pressure', 'thermometer', 'electrical', 'other')",
        name=op.f('ck_capacity_days_kind')),
    sa.CheckConstraint('remaining_minutes <= total_minutes', name=op.f('ck_capacity_days_remaining_le_total')),
    sa.CheckConstraint('remaining_minutes >= 0', name=op.f('ck_capacity_days_remaining_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_days')),
    sa.UniqueConstraint('day', 'kind', name='uq_capacity_days_day_kind')
    )
    with op.batch_alter_table('capacity_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capacity_days_day'), ['day'], unique=False)

    op.create_table('crews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('type_codes', sa.JSON(), nullable=False),
    sa.Column('minutes_per_day', sa.Integer(), nullable=False),
    sa.Column('days_off', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('minutes_per_day >= 0', name=op.f('ck_crews_minutes_per_day')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crews')),
    sa.UniqueConstraint('name', name=op.f('uq_crews_name'))
    )
    op.create_table('holidays',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_holidays'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('setup_minutes', sa.Integer(), nullable=False),
    sa.Column('max_crews_per_day', sa.Integer(), nullable=False),
    sa.Column('closed_days', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('max_crews_per_day >= 1', name=op.f('ck_sites_max_crews_per_day')),
    sa.CheckConstraint('setup_minutes >= 0', name=op.f('ck_sites_setup_minutes')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
        name=op.f('fk_sites_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_sites_organisation_id'))
    )
    op.create_table('type_minutes',
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint('minutes >= 0', name=op.f('ck_type_minutes_minutes')),
    sa.ForeignKeyConstraint(['type_id'], ['instrument_types.id'],
        name=op.f('fk_type_minutes_type_id_instrument_types')),
    sa.PrimaryKeyConstraint('type_id', name=op.f('pk_type_minutes'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='held', nullable=False),
    sa.Column('proposed_day', sa.Date(), nullable=True),
    sa.Column('minutes', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('booked_by_id', sa.Integer(), nullable=False),
    sa.Column('booked_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('held', 'confirmed', 'proposed', 'cancelled')", name=op.f('ck_bookings_state')),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_bookings_booked_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
        name=op.f('fk_bookings_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.Column('workdays', sa.JSON(), nullable=False),
    sa.Column('target_percent', sa.Integer(), server_default='85', nullable=False),
    sa.Column('visit_days', sa.Float(), server_default='1.0', nullable=False),
    sa.Column('unplanned_penalty_days', sa.Integer(), server_default='60', nullable=False),
    sa.Column('state', sa.String(length=16), server_default='draft', nullable=False),
    sa.Column('progress', sa.Float(), server_default='0', nullable=False),
    sa.Column('progress_message', sa.String(length=300), server_default='', nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'solving', 'planned', 'closed')", name=op.f('ck_campaigns_state')),
    sa.CheckConstraint('end_on >= start_on', name=op.f('ck_campaigns_period')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('name', name=op.f('uq_campaigns_name'))
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('within_days', sa.Integer(), nullable=False),
    sa.Column('due_count', sa.Integer(), nullable=False),
    sa.Column('overdue_count', sa.Integer(), nullable=False),
    sa.Column('generated_by_id', sa.Integer(), nullable=True),
    sa.Column('generated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['generated_by_id'], ['users.id'], name=op.f('fk_notices_generated_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
        name=op.f('fk_notices_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('booking_instruments',
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'],
        name=op.f('fk_booking_instruments_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'],
        name=op.f('fk_booking_instruments_instrument_id_instruments')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'],
        name=op.f('fk_booking_instruments_job_id_jobs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('booking_id', 'instrument_id', name=op.f('pk_booking_instruments'))
    )
    with op.batch_alter_table('booking_instruments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_instruments_instrument_id'), ['instrument_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('crew_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='planned', nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('planned', 'cancelled', 'done')", name=op.f('ck_visits_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_visits_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['crew_id'], ['crews.id'], name=op.f('fk_visits_crew_id_crews')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_visits_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_visits_day_crew', ['day', 'crew_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_site_id'), ['site_id'], unique=False)

    op.create_table('visit_instruments',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'],
        name=op.f('fk_visit_instruments_instrument_id_instruments')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'],
        name=op.f('fk_visit_instruments_job_id_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'],
        name=op.f('fk_visit_instruments_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'instrument_id', name=op.f('pk_visit_instruments'))
    )
    with op.batch_alter_table('visit_instruments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_instruments_instrument_id'), ['instrument_id'], unique=False)



def downgrade():
    with op.batch_alter_table('visit_instruments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_instruments_instrument_id'))

    op.drop_table('visit_instruments')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_site_id'))
        batch_op.drop_index('ix_visits_day_crew')
        batch_op.drop_index(batch_op.f('ix_visits_campaign_id'))

    op.drop_table('visits')
    with op.batch_alter_table('booking_instruments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_instruments_instrument_id'))

    op.drop_table('booking_instruments')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_organisation_id'))

    op.drop_table('notices')
    op.drop_table('campaigns')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_day'))

    op.drop_table('bookings')
    op.drop_table('type_minutes')
    op.drop_table('sites')
    op.drop_table('holidays')
    op.drop_table('crews')
    with op.batch_alter_table('capacity_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capacity_days_day'))

    op.drop_table('capacity_days')
