"""certificate numbers from a counter row per prefix and year; one current certificate per job

Revision ID: f3b8d2e6a4c1
Revises: e7a1c3b5d9f2
Create Date: 2026-12-02 06:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'f3b8d2e6a4c1'
down_revision = 'e7a1c3b5d9f2'
branch_labels = None
depends_on = None

_CURRENT = "revoked_dt IS NULL AND replaced_dt IS NULL"


def upgrade():
    op.create_table(
        'certificate_counters',
        sa.Column('prefix', sa.String(length=8), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint('last >= 0', name=op.f('ck_certificate_counters_last')),
        sa.PrimaryKeyConstraint('prefix', 'year', name=op.f('pk_certificate_counters')),
    )
    # numbers already given: PP-YYYY-NNNNNN
    op.execute("INSERT INTO certificate_counters (prefix, year, last) "
               "SELECT substr(number, 1, 2), CAST(substr(number, 4, 4) AS INTEGER), "
               "MAX(CAST(substr(number, 9) AS INTEGER)) FROM certificates "
               "GROUP BY substr(number, 1, 2), CAST(substr(number, 4, 4) AS INTEGER)")
    # a replaced certificate always had replaced_dt; make sure before the index
    op.execute("UPDATE certificates SET replaced_dt = issued_dt "
               "WHERE replaced_by_id IS NOT NULL AND replaced_dt IS NULL")
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('uq_certificates_one_current_per_job', ['job_id'], unique=True,
                              sqlite_where=sa.text(_CURRENT), postgresql_where=sa.text(_CURRENT))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_one_current_per_job', sqlite_where=sa.text(_CURRENT),
                            postgresql_where=sa.text(_CURRENT))
    op.drop_table('certificate_counters')
