"""measurement sessions, readings and rejections

Revision ID: a1c9e0d2b3f4
Revises: 7723505f1642
Create Date: 2026-11-23 09:30:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = 'a1c9e0d2b3f4'
down_revision = '7723505f1642'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
