"""certificates, their revisions and revocations

Revision ID: b7d2f1e4c6a8
Revises: a1c9e0d2b3f4
Create Date: 2026-11-23 09:31:00

"""
from alembic import op
import sqlalchemy as sa

# written once at issue; the ORM refuses changes too (lims/modules/issuance/models.py IMMUTABLE)
_CONTENT = ("number", "kind", "job_id", "instrument_id", "revision", "replaces_id", "record", "content_hash", "pdf",
            "pdf_sha256", "dcc_xml", "dcc_sha256", "token", "url", "key_id", "issued_dt", "issued_by_id",
            "performed_on", "due_date", "result")
_REFUSE = "certificate content is immutable after issue; revoke or replace it instead"

revision = 'b7d2f1e4c6a8'
down_revision = 'a1c9e0d2b3f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('instrument_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('replaces_id', sa.Integer(), nullable=True),
        sa.Column('record', sa.JSON(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('dcc_xml', sa.LargeBinary(), nullable=False),
        sa.Column('dcc_sha256', sa.String(length=64), nullable=False),
        sa.Column('token', sa.String(length=1700), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('issued_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=False),
        sa.Column('performed_on', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('result', sa.String(length=8), nullable=True),
        sa.Column('revoked_dt', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('revocation_reason', sa.Text(), nullable=True),
        sa.Column('replaced_by_id', sa.Integer(), nullable=True),
        sa.Column('replaced_dt', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('verification', 'failure_notice', 'calibration')",
                           name=op.f('ck_certificates_kind')),
        sa.CheckConstraint("result IS NULL OR result IN ('pass', 'fail')", name=op.f('ck_certificates_result')),
        sa.CheckConstraint('(revoked_dt IS NULL) = (revocation_reason IS NULL)',
                           name=op.f('ck_certificates_revocation')),
        sa.CheckConstraint('revision >= 0', name=op.f('ck_certificates_revision')),
        sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'],
                                name=op.f('fk_certificates_instrument_id_instruments')),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_certificates_issued_by_id_users')),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_certificates_job_id_jobs')),
        sa.ForeignKeyConstraint(['replaced_by_id'], ['certificates.id'],
                                name=op.f('fk_certificates_replaced_by_id_certificates')),
        sa.ForeignKeyConstraint(['replaces_id'], ['certificates.id'],
                                name=op.f('fk_certificates_replaces_id_certificates')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_certificates_revoked_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
        sa.UniqueConstraint('number', name=op.f('uq_certificates_number')),
        sa.UniqueConstraint('replaces_id', name=op.f('uq_certificates_replaces_id')),
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_instrument_id'), ['instrument_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_job_id'), ['job_id'], unique=False)
    _immutable_content()


def _immutable_content():
    """Database triggers that refuse any UPDATE of content columns and any DELETE, whatever the client."""
    cols = ", ".join(_CONTENT)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"CREATE TRIGGER certificates_content_immutable BEFORE UPDATE OF {cols} ON certificates "
                   f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")
        op.execute("CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates "
                   f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION certificates_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN RAISE EXCEPTION '{_REFUSE}'; END $$")
        op.execute(f"CREATE TRIGGER certificates_content_immutable BEFORE UPDATE OF {cols} ON certificates "
                   "FOR EACH ROW EXECUTE FUNCTION certificates_refuse()")
        op.execute("CREATE TRIGGER certificates_no_delete BEFORE DELETE OR TRUNCATE ON certificates "
                   "FOR EACH STATEMENT EXECUTE FUNCTION certificates_refuse()")


def _drop_triggers():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS certificates_content_immutable")
        op.execute("DROP TRIGGER IF EXISTS certificates_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS certificates_content_immutable ON certificates")
        op.execute("DROP TRIGGER IF EXISTS certificates_no_delete ON certificates")
        op.execute("DROP FUNCTION IF EXISTS certificates_refuse()")


def downgrade():
    _drop_triggers()
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_job_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_instrument_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_due_date'))
    op.drop_table('certificates')
