"""procedure_results.indications: every indication of a repeatability or eccentricity item

Revision ID: d4e5f6a7b8c9
Revises: c0bba243d6d8
Create Date: 2026-11-23 13:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'd4e5f6a7b8c9'
down_revision = 'c0bba243d6d8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('procedure_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('indications', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('procedure_results', schema=None) as batch_op:
        batch_op.drop_column('indications')
