"""Migrations: upgrade from empty gives exactly the models' schema; downgrade to base removes it."""
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lims import MIGRATIONS_DIR
from tests.lims import pg
from tests.lims.conftest import PG_URL, make_app


@pytest.fixture
def empty_url(tmp_path):
    if PG_URL:
        reason = pg.available(PG_URL)
        if reason:
            pytest.skip(reason)
        name = f"lims_mig_{uuid.uuid4().hex[:10]}"
        yield pg.create_database(PG_URL, name)
        pg.drop_database(PG_URL, name)
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


def test_upgrade_from_empty_matches_models_and_downgrade_works(empty_url):
    app = make_app(empty_url)
    with app.app_context():
        from lims.extensions import db

        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(ctx, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            types = conn.execute(sa.text("SELECT count(*) FROM instrument_types")).scalar()
            assert types >= 10, "the instrument types of the reference are seeded"
        downgrade(directory=MIGRATIONS_DIR, revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade(directory=MIGRATIONS_DIR)  # and back up again
        assert "instruments" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_migration_scripts_do_not_import_the_application():
    import pathlib

    for path in pathlib.Path(MIGRATIONS_DIR, "versions").glob("*.py"):
        text = path.read_text()
        assert "import lims" not in text and "from lims" not in text, path.name
