"""certificates, their revisions and revocations

Revision ID: b7d2f1e4c6a8
Revises: a1c9e0d2b3f4
Create Date: 2026-11-23 09:31:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = 'b7d2f1e4c6a8'
down_revision = 'a1c9e0d2b3f4'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
