"""PostgreSQL helpers for tests: create and drop uniquely named databases."""
import queue
import threading
import time
import uuid

import sqlalchemy as sa

# Each test's database is dropped by a background thread while the next test runs: a DROP DATABASE waits for
# the server's checkpoint and file removal (0.3–2.5 s measured here), which would otherwise stall every test.
_to_drop: queue.Queue = queue.Queue()
_dropper: threading.Thread | None = None
_drop_errors: list[str] = []


def _admin_engine(url):
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def create_database(base_url, name, template=None):
    """Create database ``name`` (optionally from ``template``) on the server of ``base_url``."""
    engine = _admin_engine(base_url)
    with engine.connect() as conn:
        tpl = f' TEMPLATE "{template}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{tpl}'))
    engine.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


def drop_database(base_url, name):
    engine = _admin_engine(base_url)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def available(base_url):
    """Return None when the server answers, else the reason it does not."""
    try:
        engine = _admin_engine(base_url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # report, don't fail: the caller skips with this reason
        return f"PostgreSQL at {base_url} is not reachable: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"


def _drop_one(item):
    """Drop one queued database (``None`` is the stop signal: nothing to drop)."""
    try:
        if item is not None:
            drop_database(*item)
    except Exception as exc:  # noted, and reported by drain(): a leaked database must not pass unnoticed
        _drop_errors.append(f"{item[1]}: {exc.__class__.__name__}: {exc}")
    finally:
        _to_drop.task_done()


def _drop_loop():
    while True:
        item = _to_drop.get()
        _drop_one(item)
        if item is None:
            return


def _drop_until_empty():
    while True:
        try:
            item = _to_drop.get_nowait()
        except queue.Empty:
            return
        _drop_one(item)


def drop_later(base_url, name):
    """Queue database ``name`` for dropping by the background thread (started on first use)."""
    global _dropper
    if _dropper is None or not _dropper.is_alive():
        _dropper = threading.Thread(target=_drop_loop, name="pg-dropper", daemon=True)
        _dropper.start()
    _to_drop.put((base_url, name))


def drain(helpers=3):
    """Wait until every queued database is dropped; return the drops that failed (as messages).

    The drops left at the end of a run are shared with ``helpers`` more threads: one by one they kept a
    worker waiting for up to a minute at the end of a busy run.
    """
    if _dropper is not None and _dropper.is_alive():
        extra = [threading.Thread(target=_drop_until_empty, name=f"pg-dropper-{i}", daemon=True)
                 for i in range(helpers)]
        for thread in extra:
            thread.start()
        _to_drop.join()
        for thread in extra:
            thread.join()
    failed, _drop_errors[:] = list(_drop_errors), []
    return failed


class Spares:
    """Copies of a template database made ahead by a background thread, so a test gets one at once.

    A ``CREATE DATABASE … TEMPLATE`` takes 0.15 s on an idle machine and a second or more on a busy one;
    made while the previous test runs, that time leaves the tests' critical path. ``depth`` copies wait
    ready at most (each is a few MB); :meth:`close` drops those never taken.
    """

    def __init__(self, base_url, template, prefix, depth=2):
        self.base_url, self.template, self.prefix = base_url, template, prefix
        self.ready: queue.Queue = queue.Queue(maxsize=depth)
        self.error: Exception | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._fill, name="pg-spares", daemon=True)
        self.thread.start()

    def _fill(self):
        while not self.stopping.is_set():
            name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
            try:
                create_database(self.base_url, name, template=self.template)
            except Exception as exc:  # handed to the next take(), which fails the test with it
                self.error = exc
                return
            while True:
                try:
                    self.ready.put(name, timeout=0.5)
                    break
                except queue.Full:
                    if self.stopping.is_set():
                        drop_later(self.base_url, name)
                        return

    def take(self, timeout=300):
        """The name of a fresh copy of the template (the caller drops it, e.g. with :func:`drop_later`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.ready.get(timeout=0.5)
            except queue.Empty:
                if self.error is not None or not self.thread.is_alive():
                    raise RuntimeError(f"copying {self.template} failed: {self.error!r}") from self.error
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no copy of {self.template} within {timeout} s") from None

    def close(self):
        """Stop making copies and queue the unused ones for dropping."""
        self.stopping.set()
        self.thread.join(timeout=60)
        while True:
            try:
                drop_later(self.base_url, self.ready.get_nowait())
            except queue.Empty:
                return


# --- reusing a test's database: reset to the template's rows instead of dropping and copying -----------

_SCHEMA_PRINT = """
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT 'c:' || table_name || '.' || column_name || ':' || data_type || ':' || coalesce(column_default, '') AS x
    FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT 'i:' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT 't:' || tgname || ':' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'v:' || version_num FROM alembic_version
  UNION ALL SELECT 'e:' || extname FROM pg_extension) AS s
"""


def _connect(base_url, name):
    import psycopg  # noqa: PLC0415 (only when PostgreSQL is asked for)

    return psycopg.connect(base_url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/" + name)


class Recycler:
    """Test databases reset to the template's rows after a test, instead of dropped and copied anew.

    Dropping a database and copying the template (``CREATE DATABASE … TEMPLATE``) cost 0.3–1 s a test
    on a busy 2-core machine, mostly the server's file work; deleting a test's rows and copying the
    template's few hundred rows back (``COPY``) costs a few milliseconds. The rows, the sequences'
    positions and a fingerprint of the schema (columns, indexes, triggers, migration, extensions) are
    read from the template once. A database whose schema a test changed, or that cannot be reset (a
    test dropped it, a connection will not let go), is dropped and a fresh copy used instead.
    """

    def __init__(self, base_url, template, spares):
        self.base_url, self.template, self.spares = base_url, template, spares
        self.clean: list[str] = []
        with _connect(base_url, template) as conn, conn.cursor() as cur:
            self.schema = cur.execute(_SCHEMA_PRINT).fetchone()[0]
            self.tables = [r[0] for r in cur.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
            self.rows: dict[str, bytes] = {}
            for table in self.tables:
                with cur.copy(f'COPY "{table}" TO STDOUT') as copy:
                    data = b"".join(bytes(block) for block in copy)
                if data:
                    self.rows[table] = data
            self.sequences = cur.execute(
                "SELECT schemaname || '.' || sequencename, coalesce(last_value, start_value), last_value IS NOT NULL "
                "FROM pg_sequences WHERE schemaname = 'public'").fetchall()

    def take(self):
        """The name of a database holding exactly the template's rows."""
        return self.clean.pop() if self.clean else self.spares.take()

    def give_back(self, name):
        """Reset ``name`` for the next test, or queue it for dropping when it cannot be reset exactly."""
        try:
            self._reset(name)
        except Exception:  # a changed schema, a dropped database, a stuck connection: a fresh copy instead
            drop_later(self.base_url, name)
        else:
            self.clean.append(name)

    def _reset(self, name):
        with _connect(self.base_url, name) as conn, conn.cursor() as cur:
            # connections the test left (servers it started, engines not disposed) would hold locks
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            cur.execute("SET lock_timeout = '5s'")
            if cur.execute(_SCHEMA_PRINT).fetchone()[0] != self.schema:
                raise RuntimeError(f"the schema of {name} is no longer the template's")
            cur.execute("SET session_replication_role = replica")  # no triggers: no immutability, no FK checks
            for table in self.tables:
                cur.execute(f'DELETE FROM "{table}"')
            for table, data in self.rows.items():
                with cur.copy(f'COPY "{table}" FROM STDIN') as copy:
                    copy.write(data)
            for sequence, value, called in self.sequences:
                cur.execute("SELECT setval(%s, %s, %s)", (sequence, value, called))
            conn.commit()

    def close(self):
        """Queue every pooled database for dropping."""
        for name in self.clean:
            drop_later(self.base_url, name)
        self.clean = []
