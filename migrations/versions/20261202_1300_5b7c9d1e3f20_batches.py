"""batches: one organisation's instruments booked, delivered and received together, with their jobs

Revision ID: 5b7c9d1e3f20
Revises: 1e6dd4f75fcb
Create Date: 2026-12-02 13:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '5b7c9d1e3f20'
down_revision = '1e6dd4f75fcb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('booked_for', sa.Date(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('booked_by_id', sa.Integer(), nullable=False),
        sa.Column('booked_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_by_id', sa.Integer(), nullable=True),
        sa.Column('received_dt', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
        sa.Column('cancelled_dt', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('booked', 'received', 'cancelled')", name=op.f('ck_batches_state')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_batches_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_batches_booked_by_id_users')),
        sa.ForeignKeyConstraint(['received_by_id'], ['users.id'], name=op.f('fk_batches_received_by_id_users')),
        sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_batches_cancelled_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_batches')),
    )
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batches_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batches_state'), ['state'], unique=False)
    op.create_table(
        'batch_items',
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('instrument_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_batch_items_batch_id_batches'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'],
                                name=op.f('fk_batch_items_instrument_id_instruments')),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_batch_items_job_id_jobs'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('batch_id', 'instrument_id', name=op.f('pk_batch_items')),
        sa.UniqueConstraint('job_id', name=op.f('uq_batch_items_job_id')),
    )
    with op.batch_alter_table('batch_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_items_instrument_id'), ['instrument_id'], unique=False)


def downgrade():
    with op.batch_alter_table('batch_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_items_instrument_id'))
    op.drop_table('batch_items')
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batches_state'))
        batch_op.drop_index(batch_op.f('ix_batches_organisation_id'))
    op.drop_table('batches')
