"""Fixtures for the application: a migrated database per test (SQLite or PostgreSQL) and a small world.

The database is built by ``alembic upgrade head`` from empty once per run, with the "world"
(organisations, one user per role, instruments, standards, benches, jobs) loaded into it; every
test then gets its own copy: a file copy on SQLite; on PostgreSQL an earlier test's database reset to
the template's rows (``pg.Recycler``: a few milliseconds), or, when a test changed the schema or the
database cannot be reset, a ``CREATE DATABASE … TEMPLATE`` copy made ahead in the background.
Set ``LIMS_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test`` to run on PostgreSQL; each
run creates uniquely named databases and drops them afterwards, so runs never see each other's rows.
"""
import contextlib
import datetime as dt
import os
import shutil
import uuid
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from tests import services
from tests.lims import pg
from tests.lims.browser_support import browser  # noqa: F401  (one Chromium per session, for every module)

PG_URL = os.environ.get("LIMS_TEST_DATABASE_URL")
RUN_ID = uuid.uuid4().hex[:8]
PASSWORD = "correct-horse-battery"


def make_app(url, **extra):
    from lims import create_app

    cfg = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret", "DUE_SOON_DAYS": 30}
    if url.startswith("postgresql"):
        # a test database is thrown away: commits need not wait for the WAL flush (visibility is unchanged)
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c synchronous_commit=off"}}
    cfg.update(extra)
    return create_app(cfg)


def migrate_to_head(app):
    from flask_migrate import upgrade

    from lims import MIGRATIONS_DIR

    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)


@dataclass
class World:
    """Ids and bearer tokens of the fixture world."""

    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    instruments: dict = field(default_factory=dict)
    standards: dict = field(default_factory=dict)
    benches: dict = field(default_factory=dict)
    jobs: dict = field(default_factory=dict)

    def auth(self, role):
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role != "anonymous" else {}


SCALE_CHARS = {"max": 30000, "min": 200, "e": 10, "d": 10, "accuracy_class": "III"}
BP_CHARS = {"range_min": 0, "range_max": 300, "resolution": 1}


def build_world(app):
    """Load the fixture world through the real operations; returns a :class:`World`."""
    from werkzeug.security import generate_password_hash

    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.equipment import operations as eq
    from lims.modules.equipment.models import Instrument
    from lims.modules.jobs.operations import book_job
    from lims.modules.organisations.models import Organisation
    from lims.modules.organisations.operations import create_organisation
    from lims.modules.users.models import User
    from lims.modules.users.operations import create_token

    w = World()
    pw_hash = generate_password_hash(PASSWORD, method="scrypt")
    with app.app_context(), acting_as(None, "fixtures"):
        for key, kind in (("lab", "lab"), ("market_a", "market"), ("market_b", "market"),
                          ("hospital_a", "hospital"), ("hospital_b", "hospital")):
            w.orgs[key] = create_organisation({"kind": kind, "name": f"{key} org"}).id
        for role, org in (("admin", "lab"), ("lab_manager", "lab"), ("technician", "lab"),
                          ("market_manager", "market_a"), ("market_manager_b", "market_b"),
                          ("equipment_officer", "hospital_a"), ("equipment_officer_b", "hospital_b")):
            user = User(username=role, display_name=role, role=role.removesuffix("_b"),
                        organisation_id=w.orgs[org], password_hash=pw_hash)
            db.session.add(user)
            db.session.flush()
            w.users[role] = user.id
            w.tokens[role] = create_token(user, "tests")[1]
        orgs = {k: db.session.get(Organisation, v) for k, v in w.orgs.items()}
        for org, code, chars in (("market_a", "scale.price_computing", SCALE_CHARS),
                                 ("market_b", "scale.price_computing", SCALE_CHARS),
                                 ("hospital_a", "sphygmomanometer.nibp", BP_CHARS),
                                 ("hospital_b", "sphygmomanometer.nibp", BP_CHARS)):
            for n in (0, 1):
                inst = eq.create_instrument({"type_code": code, "manufacturer": "ACME", "model": f"M-{org}",
                                             "serial_number": f"{org}-{n}", "characteristics": chars}, orgs[org])
                w.instruments[f"{org}_{n}"] = inst.id
        today = dt.date.today()
        good = eq.create_standard({"code": "W-1", "name": "M1 weights", "kind": "weight_set",
                                   "certificate_number": "C-1", "certificate_issuer": "NIM",
                                   "calibrated_on": today - dt.timedelta(days=30),
                                   "due_on": today + dt.timedelta(days=300)})
        stale = eq.create_standard({"code": "W-OLD", "name": "old weights", "kind": "weight_set",
                                    "certificate_number": "C-0", "certificate_issuer": "NIM",
                                    "calibrated_on": today - dt.timedelta(days=400),
                                    "due_on": today - dt.timedelta(days=35)})
        w.standards = {"good": good.id, "overdue": stale.id}
        w.benches["good"] = eq.create_bench({"name": "bench good", "standard_ids": [good.id]}).id
        w.benches["overdue"] = eq.create_bench({"name": "bench overdue", "standard_ids": [stale.id]}).id
        admin = db.session.get(User, w.users["admin"])
        for org in ("market_a", "market_b", "hospital_a", "hospital_b"):
            inst = db.session.get(Instrument, w.instruments[f"{org}_0"])
            w.jobs[org] = book_job(inst, admin).id
        db.session.commit()
    return w


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated database with the world in it, copied for each test."""
    if PG_URL:
        reason = pg.available(PG_URL)
        if reason:
            services.unavailable(reason)
        name = f"lims_tpl_{RUN_ID}"
        url = pg.create_database(PG_URL, name)
        app = make_app(url)
        migrate_to_head(app)
        world = build_world(app)
        with app.app_context():
            from lims.extensions import db

            db.engine.dispose()
        spares = pg.Spares(PG_URL, name, prefix=f"lims_t_{RUN_ID}")
        recycler = pg.Recycler(PG_URL, name, spares)
        yield ("pg", name, world, recycler)
        spares.close()
        recycler.close()
        failed = pg.drain()
        pg.drop_database(PG_URL, name)
        assert not failed, f"test databases left behind: {failed}"
    else:
        path = tmp_path_factory.mktemp("tpl") / "template.db"
        app = make_app(f"sqlite:///{path}")
        migrate_to_head(app)
        world = build_world(app)
        with app.app_context():
            from lims.extensions import db

            db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.engine.dispose()
        yield ("sqlite", path, world, None)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo data set (``lims demo``) built once per session (per xdist worker) into a SQLite file, with the
    signing keys it was issued with; use :func:`copy_demo` for a private copy."""
    from lims.demo import ensure_demo
    from lims.extensions import db

    tmp = tmp_path_factory.mktemp("demo_tpl")
    app = make_app(f"sqlite:///{tmp / 'demo.db'}", KEY_DIR=str(tmp / "keys"))
    with app.app_context():
        assert ensure_demo(app) is True
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
        db.engine.dispose()
    return tmp


def copy_demo(template, dest):
    """Copy the demo database and its keys into *dest*; returns the settings for :func:`make_app`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template / "demo.db", dest / "demo.db")
    shutil.copytree(template / "keys", dest / "keys")
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{dest / 'demo.db'}", "KEY_DIR": str(dest / "keys")}


@pytest.fixture
def demo_app(demo_template, tmp_path):
    """An app on a private copy of the demo data set (SQLite, as `lims demo` runs)."""
    cfg = copy_demo(demo_template, tmp_path / "demo")
    app = make_app(cfg.pop("SQLALCHEMY_DATABASE_URI"), **cfg)
    yield app
    with app.app_context():
        from lims.extensions import db

        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def copy_of_template(template_db, directory):
    """A database URL holding a fresh copy of the template (dropped or left in ``directory`` after)."""
    kind, source, _world, recycler = template_db
    if kind == "pg":
        name = recycler.take()  # an earlier test's database reset to the template's rows, or a fresh copy
        try:
            yield PG_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            recycler.give_back(name)
    else:
        path = directory / "test.db"
        shutil.copyfile(source, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def db_url(template_db, tmp_path):
    with copy_of_template(template_db, tmp_path) as url:
        yield url


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    yield app
    with app.app_context():
        from lims.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def world(template_db):
    return template_db[2]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client, world):
    """Call the API as a role: ``api("get", "/api/v1/...", role="admin", json=...)``."""

    def call(method, path, role="admin", **kwargs):
        headers = {**world.auth(role), **kwargs.pop("headers", {})}
        return getattr(client, method)(path, headers=headers, **kwargs)

    return call
