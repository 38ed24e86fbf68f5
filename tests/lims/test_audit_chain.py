"""Issue 11 item 12: the hash-chained audit trail and the application's database role."""
import os
import uuid

import pytest
import sqlalchemy as sa

from lims.core.audit import GENESIS, AuditEvent, verify_chain
from tests.lims import pg
from tests.lims.conftest import PG_URL, make_app


def _verify(app):
    with app.app_context():
        from lims.extensions import db

        return verify_chain(db.session)


def _make_changes(api):
    body = {"type_code": "scale.price_computing", "manufacturer": "A", "model": "B", "serial_number": "CH-1",
            "characteristics": {"max": 15000, "min": 100, "e": 5, "d": 5, "accuracy_class": "III"}}
    created = api("post", "/api/v1/instruments", role="market_manager", json=body).json
    api("patch", f"/api/v1/instruments/{created['id']}", role="market_manager",
        json={"version": created["version"], "location": "stall 9 — 东区"})
    return created["id"]


def _forge(app, sql):
    """Change the table behind the application's back, as a superuser/file owner would."""
    with app.app_context():
        from lims.extensions import db

        with db.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.execute(sa.text("DROP TRIGGER audit_events_no_update"))
                conn.execute(sa.text("DROP TRIGGER audit_events_no_delete"))
            else:
                conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
            conn.execute(sa.text(sql))


def test_every_row_is_chained_and_the_chain_verifies(app, api):
    _make_changes(api)
    checked, problem = _verify(app)
    assert problem is None and checked > 10
    with app.app_context():
        from lims.extensions import db

        rows = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert all(len(r.chain_hash) == 64 for r in rows)
    assert len({r.chain_hash for r in rows}) == len(rows)


@pytest.mark.parametrize("forgery,expect", [
    ("UPDATE audit_events SET actor_name = 'someone else' WHERE id = {target}", "target"),
    ("UPDATE audit_events SET changes = '{{\"location\": [\"\", \"elsewhere\"]}}' WHERE id = {target}", "target"),
    ("DELETE FROM audit_events WHERE id = {target}", "next"),
])
def test_verify_finds_a_row_forged_directly_in_sql(app, api, forgery, expect):
    _make_changes(api)
    with app.app_context():
        from lims.extensions import db

        ids = db.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
    target = ids[len(ids) // 2]
    _forge(app, forgery.format(target=target))
    checked, problem = _verify(app)
    assert problem is not None
    assert problem[0] == (target if expect == "target" else ids[ids.index(target) + 1])
    assert checked == ids.index(target)


def test_verify_finds_an_inserted_row_even_with_a_plausible_hash(app, api):
    _make_changes(api)
    with app.app_context():
        from lims.extensions import db

        ids = db.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
        prev = db.session.execute(sa.select(AuditEvent.chain_hash).where(AuditEvent.id == ids[2])).scalar()
    # a forger squeezes a row in between (a gap in the ids is enough) and chains it to its predecessor
    import datetime as dt

    from lims.core.audit import chain_hash

    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    forged_hash = chain_hash(prev, when, None, "ghost", "update", "Instrument", "1", {})
    with app.app_context():
        from lims.extensions import db

        with db.engine.begin() as conn:
            conn.execute(sa.insert(AuditEvent).values(id=ids[-1] + 100, created_dt=when, actor_id=None,
                                                      actor_name="ghost", action="update", entity="Instrument",
                                                      entity_id="1", changes={}, chain_hash=forged_hash))
    checked, problem = _verify(app)
    assert problem is not None and problem[0] == ids[-1] + 100


def test_lims_audit_verify_command(app, api):
    _make_changes(api)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "audit chain OK" in ok.output and "head event" in ok.output
    with app.app_context():
        from lims.extensions import db

        target = db.session.execute(sa.select(sa.func.min(AuditEvent.id))).scalar() + 3
    _forge(app, f"UPDATE audit_events SET entity_id = '424242' WHERE id = {target}")
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and f"BROKEN at event {target}" in bad.output


def test_a_rolled_back_savepoint_writes_no_audit_rows_and_the_chain_stays_whole(app, world):
    from lims.core.audit import acting_as
    from lims.modules.organisations.models import Organisation

    with app.app_context(), acting_as(None, "test"):
        from lims.extensions import db

        before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar()
        org = db.session.get(Organisation, world.orgs["market_a"])
        nested = db.session.begin_nested()
        org.name = "renamed inside a savepoint"
        db.session.flush()
        nested.rollback()
        org.name = "renamed for real"
        db.session.commit()
        events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.id > 0)
                                    .order_by(AuditEvent.id.desc()).limit(1)).scalars().all()
        after = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar()
    assert after == before + 1
    assert events[0].changes["name"][1] == "renamed for real"
    assert _verify(app)[1] is None


def test_the_migration_chains_rows_that_existed_before_it(tmp_path):
    """Upgrade a database that already has audit rows: they are chained in id order."""
    from flask_migrate import upgrade

    from lims import MIGRATIONS_DIR

    if PG_URL:
        reason = pg.available(PG_URL)
        if reason:
            pytest.skip(reason)
        name = f"lims_chain_{uuid.uuid4().hex[:8]}"
        url = pg.create_database(PG_URL, name)
    else:
        name, url = None, f"sqlite:///{tmp_path / 'old.db'}"
    try:
        app = make_app(url)
        with app.app_context():
            from lims.extensions import db

            upgrade(directory=MIGRATIONS_DIR, revision="d4e5f6a7b8c9")
            with db.engine.begin() as conn:
                for i in range(5):
                    conn.execute(sa.text("INSERT INTO audit_events (created_dt, actor_id, actor_name, action, "
                                         "entity, entity_id, changes) VALUES (:t, NULL, 'old', 'create', "
                                         "'Thing', :i, :c)"),
                                 {"t": f"2026-11-0{i + 1} 08:00:00.123456", "i": str(i),
                                  "c": '{"name": [null, "línea ' + str(i) + '"]}'})
            upgrade(directory=MIGRATIONS_DIR)
            checked, problem = verify_chain(db.session)
            assert problem is None and checked == 5
            first = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars().first()
            assert first.chain_hash != GENESIS and len(first.chain_hash) == 64
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(sa.text("UPDATE audit_events SET actor_name = 'x'"))
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
    finally:
        if name:
            pg.drop_database(PG_URL, name)


# -- PostgreSQL: the application's role ---------------------------------------------------------------------

@pytest.fixture
def app_role(app, db_url):
    """A login role granted what `lims db-roles grant-app` grants; yields its database URL."""
    if not PG_URL:
        pytest.skip("database roles exist only on PostgreSQL (set LIMS_TEST_DATABASE_URL)")
    role = f"lims_app_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    password = uuid.uuid4().hex
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db-roles", "grant-app", role])
    assert result.exit_code == 0, result.output
    base, dbname = db_url.rsplit("/", 1)
    host = base.split("@", 1)[1]
    yield f"postgresql://{role}:{password}@{host}/{dbname}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP OWNED BY {role}"))
        conn.execute(sa.text(f"DROP ROLE {role}"))
    admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("sql", [
    "UPDATE audit_events SET actor_name = 'forger'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
    "DROP TRIGGER audit_events_no_change ON audit_events",
    "ALTER TABLE audit_events DROP COLUMN chain_hash",
    "UPDATE measurement_readings SET value = 0",
])
def test_the_app_role_cannot_change_the_audit_trail(app_role, sql):
    engine = sa.create_engine(app_role.replace("postgresql://", "postgresql+psycopg://", 1),
                              poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar() > 0
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"):
            conn.execute(sa.text(sql))
    engine.dispose()


@pytest.mark.postgres
def test_the_app_runs_as_its_role_and_a_superuser_forgery_is_found(app_role, app, world):
    """Everyday work goes through as the app role (audit rows are INSERTed); a forgery by the owner is found."""
    role_app = make_app(app_role)
    client = role_app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens['market_manager']}"}
    body = {"type_code": "scale.price_computing", "manufacturer": "A", "model": "B", "serial_number": "ROLE-1",
            "characteristics": {"max": 15000, "min": 100, "e": 5, "d": 5, "accuracy_class": "III"}}
    r = client.post("/api/v1/instruments", json=body, headers=headers)
    assert r.status_code == 201, r.json
    runner = role_app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    with role_app.app_context():
        from lims.extensions import db

        last = db.session.execute(sa.select(sa.func.max(AuditEvent.id))).scalar()
        db.session.remove()
        db.engine.dispose()
    _forge(app, f"UPDATE audit_events SET actor_name = 'not me' WHERE id = {last}")
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and f"BROKEN at event {last}" in bad.output
    with role_app.app_context():
        db.engine.dispose()


def test_grant_app_refuses_sqlite_and_bad_names(app):
    runner = app.test_cli_runner()
    if os.environ.get("LIMS_TEST_DATABASE_URL"):
        r = runner.invoke(args=["db-roles", "grant-app", "bad;name"])
        assert r.exit_code == 2 and "plain lower-case" in r.output
    else:
        r = runner.invoke(args=["db-roles", "grant-app", "lims_app"])
        assert r.exit_code == 2 and "only on PostgreSQL" in r.output


def test_an_audit_event_added_through_the_orm_joins_the_chain(app):
    from lims.core.audit import acting_as

    with app.app_context(), acting_as(7, "someone"):
        from lims.extensions import db

        db.session.add(AuditEvent(action="approve", entity="Job", entity_id="1", changes={"note": "ok"}))
        db.session.commit()
        last = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (last.action, last.actor_name, last.actor_id) == ("approve", "someone", 7) and len(last.chain_hash) == 64
    assert _verify(app)[1] is None
