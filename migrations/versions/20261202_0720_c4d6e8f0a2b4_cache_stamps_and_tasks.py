"""cache_stamps (cross-node cache invalidation) and tasks (background work with progress)

Revision ID: c4d6e8f0a2b4
Revises: f3b8d2c4e6a1
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c4d6e8f0a2b4'
down_revision = 'f3b8d2c4e6a1'
branch_labels = None
depends_on = None


def upgrade():
    stamps = op.create_table(
        'cache_stamps',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_stamps')),
    )
    op.bulk_insert(stamps, [{'name': 'certificates', 'value': 0}])
    op.create_table(
        'tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), server_default='queued', nullable=False),
        sa.Column('progress', sa.Float(), server_default='0', nullable=False),
        sa.Column('message', sa.Text(), server_default='', nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('cursor', sa.Integer(), server_default='0', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('output', sa.LargeBinary(), nullable=True),
        sa.Column('output_type', sa.String(length=80), nullable=True),
        sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_dt', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_dt', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_tasks_status')),
        sa.CheckConstraint('progress >= 0 AND progress <= 1', name=op.f('ck_tasks_progress')),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_tasks_owner_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
        sa.UniqueConstraint('key', name=op.f('uq_tasks_key')),
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_owner_id'), ['owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_owner_id'))
    op.drop_table('tasks')
    op.drop_table('cache_stamps')
