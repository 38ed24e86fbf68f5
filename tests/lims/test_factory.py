"""The application factory and its configuration."""
import pytest
import sqlalchemy as sa

from lims import create_app
from lims.config import ConfigError


def test_testing_flag_comes_from_the_mapping(tmp_path):
    assert not create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"}).testing
    assert create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"}).testing


def test_production_refuses_the_default_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("LIMS_ENV", "production")
    monkeypatch.delenv("LIMS_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="LIMS_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"})
    monkeypatch.setenv("LIMS_SECRET_KEY", "a-real-secret-from-the-vault-of-the-lab")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"})
    assert app.config["SECRET_KEY"] == "a-real-secret-from-the-vault-of-the-lab"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_a_short_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("LIMS_ENV", "production")
    monkeypatch.setenv("LIMS_SECRET_KEY", "hunter2-hunter2")
    with pytest.raises(ConfigError, match="at least 32"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"})


@pytest.mark.parametrize("value", ["prod", "Production", "staging", "dev"])
def test_lims_env_accepts_only_known_values(tmp_path, monkeypatch, value):
    monkeypatch.setenv("LIMS_ENV", value)
    with pytest.raises(ConfigError, match="LIMS_ENV"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"})


def test_default_database_is_sqlite_in_instance_folder_with_wal_and_foreign_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("LIMS_DATABASE_URL", raising=False)
    monkeypatch.setenv("LIMS_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/inst/lims.db"
    with app.app_context():
        from lims.extensions import db

        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LIMS_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")
    monkeypatch.setenv("LIMS_DATABASE_URL", "postgresql://u@h/db")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
