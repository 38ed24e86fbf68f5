"""complaints: a problem with an instrument reported from its public check page, answered and closed

Revision ID: 1e6dd4f75fcb
Revises: f2a3b4c5d6e7
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1e6dd4f75fcb'
down_revision = 'f2a3b4c5d6e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'complaints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instrument_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('certificate_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('phone', sa.String(length=32), server_default='', nullable=False),
        sa.Column('state', sa.String(length=16), server_default='open', nullable=False),
        sa.Column('answer', sa.Text(), server_default='', nullable=False),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_dt', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_dt', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reporter_key', sa.String(length=64), nullable=False),
        sa.Column('pow_digest', sa.String(length=64), nullable=False),
        sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'answered', 'closed')", name=op.f('ck_complaints_state')),
        sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'],
                                name=op.f('fk_complaints_instrument_id_instruments')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_complaints_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'],
                                name=op.f('fk_complaints_certificate_id_certificates')),
        sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_complaints_answered_by_id_users')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_complaints_closed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
        sa.UniqueConstraint('pow_digest', name=op.f('uq_complaints_pow_digest')),
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_instrument_id'), ['instrument_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_reporter_key'), ['reporter_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_created_dt'), ['created_dt'], unique=False)


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_created_dt'))
        batch_op.drop_index(batch_op.f('ix_complaints_reporter_key'))
        batch_op.drop_index(batch_op.f('ix_complaints_state'))
        batch_op.drop_index(batch_op.f('ix_complaints_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_instrument_id'))
    op.drop_table('complaints')
