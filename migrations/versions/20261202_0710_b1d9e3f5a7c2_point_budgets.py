"""procedure_results: the point's uncertainty budget, the falling indication, the U/MPE justification

Revision ID: b1d9e3f5a7c2
Revises: e1a2b3c4d5f6
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'b1d9e3f5a7c2'
down_revision = 'e1a2b3c4d5f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('procedure_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('budget', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('budget_error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('indication_falling', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('justification', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('justified_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('justified_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_procedure_results_justified_by_id_users', 'users', ['justified_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('procedure_results', schema=None) as batch_op:
        batch_op.drop_constraint('fk_procedure_results_justified_by_id_users', type_='foreignkey')
        batch_op.drop_column('justified_dt')
        batch_op.drop_column('justified_by_id')
        batch_op.drop_column('justification')
        batch_op.drop_column('indication_falling')
        batch_op.drop_column('budget_error')
        batch_op.drop_column('budget')
