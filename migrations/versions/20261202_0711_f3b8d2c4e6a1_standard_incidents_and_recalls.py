"""standard_incidents and recall_items: out-of-tolerance recall of certificates (reverse traceability)

Revision ID: f3b8d2c4e6a1
Revises: b1d9e3f5a7c2
Create Date: 2026-12-02 06:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'f3b8d2c4e6a1'
down_revision = 'b1d9e3f5a7c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'standard_incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('standard_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('found_on', sa.Date(), nullable=False),
        sa.Column('last_good_on', sa.Date(), nullable=False),
        sa.Column('corrections', sa.JSON(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('out_of_tolerance', 'damaged')", name=op.f('ck_standard_incidents_kind')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_standard_incidents_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['standard_id'], ['reference_standards.id'],
                                name=op.f('fk_standard_incidents_standard_id_reference_standards')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_incidents')),
    )
    with op.batch_alter_table('standard_incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_incidents_standard_id'), ['standard_id'], unique=False)
    op.create_table(
        'recall_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('points', sa.JSON(), nullable=False),
        sa.Column('may_change', sa.Boolean(), nullable=False),
        sa.Column('decision', sa.String(length=8), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_dt', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("decision IS NULL OR decision IN ('keep', 'amend', 'revoke')",
                           name=op.f('ck_recall_items_decision')),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'],
                                name=op.f('fk_recall_items_certificate_id_certificates')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_recall_items_decided_by_id_users')),
        sa.ForeignKeyConstraint(['incident_id'], ['standard_incidents.id'],
                                name=op.f('fk_recall_items_incident_id_standard_incidents')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_recall_items_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_items')),
        sa.UniqueConstraint('incident_id', 'certificate_id', name='uq_recall_items_incident_certificate'),
    )
    with op.batch_alter_table('recall_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recall_items_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recall_items_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recall_items_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recall_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recall_items_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_recall_items_incident_id'))
        batch_op.drop_index(batch_op.f('ix_recall_items_certificate_id'))
    op.drop_table('recall_items')
    with op.batch_alter_table('standard_incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standard_incidents_standard_id'))
    op.drop_table('standard_incidents')
