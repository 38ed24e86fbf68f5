"""PostgreSQL helpers for tests: create and drop uniquely named databases."""
import sqlalchemy as sa


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
