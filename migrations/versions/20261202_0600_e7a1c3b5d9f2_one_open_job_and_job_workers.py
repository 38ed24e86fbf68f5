"""one open job per instrument (partial unique index) and job_workers (who did a job's work steps)

Revision ID: e7a1c3b5d9f2
Revises: e1f2a3b4c5d6
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e7a1c3b5d9f2'
down_revision = 'e1f2a3b4c5d6'
branch_labels = None
depends_on = None

_WORK = (  # (step, source select of j = job id, u = user id, w = when) in the order the steps are taken
    ("receive", "SELECT id AS j, received_by_id AS u, received_dt AS w FROM jobs WHERE received_by_id IS NOT NULL"),
    ("start", "SELECT id AS j, started_by_id AS u, started_dt AS w FROM jobs WHERE started_by_id IS NOT NULL"),
    ("measure", "SELECT job_id AS j, started_by_id AS u, MIN(started_dt) AS w FROM measurement_sessions "
                "GROUP BY job_id, started_by_id"),
    ("measure", "SELECT job_id AS j, entered_by_id AS u, MIN(entered_dt) AS w FROM procedure_results "
                "GROUP BY job_id, entered_by_id"),
    ("submit", "SELECT id AS j, submitted_by_id AS u, submitted_dt AS w FROM jobs WHERE submitted_by_id IS NOT NULL"),
)


def upgrade():
    op.create_table(
        'job_workers',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('first_step', sa.String(length=16), nullable=False),
        sa.Column('first_dt', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_workers_job_id_jobs')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_job_workers_user_id_users')),
        sa.PrimaryKeyConstraint('job_id', 'user_id', name=op.f('pk_job_workers')),
    )
    for step, source in _WORK:
        op.execute(
            f"INSERT INTO job_workers (job_id, user_id, first_step, first_dt) "
            f"SELECT s.j, s.u, '{step}', s.w FROM ({source}) AS s "
            "WHERE NOT EXISTS (SELECT 1 FROM job_workers x WHERE x.job_id = s.j AND x.user_id = s.u)")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('uq_jobs_one_open_per_instrument', ['instrument_id'], unique=True,
                              sqlite_where=sa.text("state != 'returned'"),
                              postgresql_where=sa.text("state != 'returned'"))


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_jobs_one_open_per_instrument', sqlite_where=sa.text("state != 'returned'"),
                            postgresql_where=sa.text("state != 'returned'"))
    op.drop_table('job_workers')
