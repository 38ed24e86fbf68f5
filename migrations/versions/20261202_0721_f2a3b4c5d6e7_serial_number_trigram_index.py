"""instruments.serial_number: a pg_trgm GIN index for substring search (a plain index on SQLite)

Revision ID: f2a3b4c5d6e7
Revises: c4d6e8f0a2b4
Create Date: 2026-12-02 06:30:00

"""
from alembic import op

revision = 'f2a3b4c5d6e7'
down_revision = 'c4d6e8f0a2b4'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index('ix_instruments_serial_number_trgm', 'instruments', ['serial_number'], unique=False,
                        postgresql_using='gin', postgresql_ops={'serial_number': 'gin_trgm_ops'})
    else:
        op.create_index('ix_instruments_serial_number_trgm', 'instruments', ['serial_number'], unique=False)


def downgrade():
    op.drop_index('ix_instruments_serial_number_trgm', table_name='instruments')
