"""judged test points of verification procedures (procedure_results)

Revision ID: c0bba243d6d8
Revises: b7d2f1e4c6a8
Create Date: 2026-11-23 13:14:34

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0bba243d6d8'
down_revision = 'b7d2f1e4c6a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('procedure_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.String(length=64), nullable=False),
    sa.Column('data_version', sa.Integer(), nullable=False),
    sa.Column('point', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('nominal', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('indication', sa.String(length=40), nullable=False),
    sa.Column('flash_delta', sa.String(length=40), nullable=True),
    sa.Column('zero_error', sa.String(length=40), nullable=True),
    sa.Column('error', sa.String(length=40), nullable=False),
    sa.Column('corrected_error', sa.String(length=40), nullable=False),
    sa.Column('mpe', sa.String(length=40), nullable=False),
    sa.Column('uncertainty', sa.String(length=40), nullable=True),
    sa.Column('k', sa.String(length=40), nullable=True),
    sa.Column('ratio', sa.String(length=40), nullable=True),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('rule_name', sa.String(length=200), nullable=False),
    sa.Column('verdict', sa.String(length=8), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('sequences', sa.JSON(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('entered_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("verdict IN ('pass', 'fail')", name=op.f('ck_procedure_results_verdict')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_procedure_results_entered_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_procedure_results_job_id_jobs')),
    sa.ForeignKeyConstraint(['session_id'], ['measurement_sessions.id'], 
                            name=op.f('fk_procedure_results_session_id_measurement_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_results')),
    sa.UniqueConstraint('job_id', 'point', name=op.f('uq_procedure_results_job_point'))
    )
    with op.batch_alter_table('procedure_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_results_job_id'), ['job_id'], unique=False)



def downgrade():
    with op.batch_alter_table('procedure_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_results_job_id'))

    op.drop_table('procedure_results')
