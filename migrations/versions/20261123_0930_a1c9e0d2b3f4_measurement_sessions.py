"""measurement sessions, readings and rejections

Revision ID: a1c9e0d2b3f4
Revises: 7723505f1642
Create Date: 2026-11-23 09:30:00

Readings and rejections are append-only: triggers refuse UPDATE and DELETE on them for any client.
"""
from alembic import op
import sqlalchemy as sa

revision = 'a1c9e0d2b3f4'
down_revision = '7723505f1642'
branch_labels = None
depends_on = None

APPEND_ONLY = ('measurement_readings', 'measurement_rejections')
_NO_CHANGE = 'measurement readings and rejections are append-only'


def upgrade():
    op.create_table('measurement_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('bench_id', sa.Integer(), nullable=False),
    sa.Column('driver', sa.String(length=40), nullable=False),
    sa.Column('port', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('is_stable_required', sa.Boolean(), nullable=False),
    sa.Column('test_point', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('accepted_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=False),
    sa.Column('started_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_dt', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('open', 'interrupted', 'completed', 'failed')", name=op.f('ck_measurement_sessions_state')),
    sa.CheckConstraint('accepted_count >= 0 AND rejected_count >= 0', name=op.f('ck_measurement_sessions_counts_not_negative')),
    sa.CheckConstraint('count >= 1', name=op.f('ck_measurement_sessions_count_positive')),
    sa.ForeignKeyConstraint(['bench_id'], ['benches.id'], name=op.f('fk_measurement_sessions_bench_id_benches')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_measurement_sessions_job_id_jobs')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_measurement_sessions_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement_sessions'))
    )
    with op.batch_alter_table('measurement_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurement_sessions_bench_id'), ['bench_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measurement_sessions_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measurement_sessions_state'), ['state'], unique=False)

    op.create_table('measurement_readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('is_stable', sa.Boolean(), nullable=False),
    sa.Column('is_instrument_stable', sa.Boolean(), nullable=True),
    sa.Column('is_software_stable', sa.Boolean(), nullable=True),
    sa.Column('test_point', sa.String(length=64), nullable=True),
    sa.Column('instrument_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('sequence >= 1', name=op.f('ck_measurement_readings_sequence_positive')),
    sa.ForeignKeyConstraint(['session_id'], ['measurement_sessions.id'], name=op.f('fk_measurement_readings_session_id_measurement_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement_readings')),
    sa.UniqueConstraint('session_id', 'sequence', name='uq_measurement_readings_session_sequence')
    )
    op.create_table('measurement_rejections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('received_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['measurement_sessions.id'], name=op.f('fk_measurement_rejections_session_id_measurement_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement_rejections'))
    )
    with op.batch_alter_table('measurement_rejections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurement_rejections_session_id'), ['session_id'], unique=False)

    op.create_table('measurement_session_standards',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['measurement_sessions.id'], name=op.f('fk_measurement_session_standards_session_id_measurement_sessions')),
    sa.ForeignKeyConstraint(['standard_id'], ['reference_standards.id'], name=op.f('fk_measurement_session_standards_standard_id_reference_standards')),
    sa.PrimaryKeyConstraint('session_id', 'standard_id', name=op.f('pk_measurement_session_standards'))
    )
    _append_only()


def downgrade():
    _drop_append_only()
    op.drop_table('measurement_session_standards')
    with op.batch_alter_table('measurement_rejections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurement_rejections_session_id'))

    op.drop_table('measurement_rejections')
    op.drop_table('measurement_readings')
    with op.batch_alter_table('measurement_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurement_sessions_state'))
        batch_op.drop_index(batch_op.f('ix_measurement_sessions_job_id'))
        batch_op.drop_index(batch_op.f('ix_measurement_sessions_bench_id'))

    op.drop_table('measurement_sessions')


def _append_only():
    """Database triggers that refuse UPDATE and DELETE on readings and rejections, whatever the client."""
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == 'sqlite':
            for verb in ('UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{_NO_CHANGE}'); END")
        elif dialect == 'postgresql':
            op.execute(f"CREATE FUNCTION {table}_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                       f"$$ BEGIN RAISE EXCEPTION '{_NO_CHANGE}'; END $$")
            op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse()")


def _drop_append_only():
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == 'sqlite':
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        elif dialect == 'postgresql':
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_refuse()")
