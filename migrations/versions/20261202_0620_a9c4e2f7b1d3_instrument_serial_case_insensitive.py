"""instruments: serial numbers unique case-insensitively within a make and model

Revision ID: a9c4e2f7b1d3
Revises: f3b8d2e6a4c1
Create Date: 2026-12-02 06:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'a9c4e2f7b1d3'
down_revision = 'f3b8d2e6a4c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('uq_instruments_identity_ci', 'instruments',
                    ['manufacturer', 'model', sa.text('lower(serial_number)')], unique=True)


def downgrade():
    op.drop_index('uq_instruments_identity_ci', table_name='instruments')
