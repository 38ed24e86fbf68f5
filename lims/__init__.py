"""Metrology LIMS: the Flask application that joins the register, the bench and the certificates."""
import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

__version__ = "0.1.0"

from lims.config import MIGRATIONS_DIR  # noqa: E402  (re-exported: where the app's migrations are)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the application.

    :param config: a mapping applied after the defaults and the environment (tests pass one).
    :returns: the configured :class:`flask.Flask` app.
    :raises lims.config.ConfigError: an unsafe production configuration.
    """
    app = Flask(__name__, instance_path=os.environ.get("LIMS_INSTANCE_PATH") or None,
                template_folder="web/templates", static_folder="web/static")
    # the factory imports the application's parts as it builds an app (`import lims` stays light, no cycles)
    from lims.config import load_config

    load_config(app, config)
    register_extensions(app)
    register_procedures(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions of :mod:`lims.extensions`."""
    # the factory imports the application's parts as it builds an app (`import lims` stays light, no cycles)
    from lims.core import i18n, security
    from lims.extensions import api, babel, csrf, db, login_manager, migrate
    from lims.modules.users import auth

    import_all_models()
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _sqlite_pragmas(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    auth.init_app(app)
    api.init_app(app)
    security.init_app(app)


def _sqlite_pragmas(engine) -> None:
    """WAL journal and enforced foreign keys on every SQLite connection."""
    from sqlalchemy import event  # the factory's parts are imported as it builds an app (`import lims` stays light)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


def import_all_models() -> None:
    """Import every model module so the metadata is complete (for Alembic and the app)."""
    import lims.core.audit  # noqa: F401
    import lims.modules.campaigns.models  # noqa: F401
    import lims.modules.complaints.models  # noqa: F401
    import lims.modules.equipment.models  # noqa: F401
    import lims.modules.issuance.models  # noqa: F401
    import lims.modules.jobs.models  # noqa: F401
    import lims.modules.measurements.models  # noqa: F401
    import lims.modules.organisations.models  # noqa: F401
    import lims.modules.procedures.models  # noqa: F401
    import lims.modules.recalls.models  # noqa: F401
    import lims.modules.tasks.models  # noqa: F401
    import lims.modules.users.models  # noqa: F401


def register_procedures(app: Flask) -> None:
    """Load and check the verification procedure files once (a malformed file stops the start)."""
    # the factory imports the application's parts as it builds an app (`import lims` stays light, no cycles)
    from lims.modules.procedures import operations  # noqa: F401 (registers the judgement jobs ask at submit)
    from lims.modules.procedures.definitions import edition_on, load_editions, load_weight_classes

    editions = load_editions()
    app.extensions["procedure_editions"] = editions
    app.extensions["procedures"] = {code: doc for code, docs in editions.items()
                                    if (doc := edition_on(docs, dt.date.today())) is not None}
    app.extensions["weight_classes"] = load_weight_classes()


def register_blueprints(app: Flask) -> None:
    """Register the JSON API (flask-smorest) and the HTML pages."""
    # the factory imports the application's parts as it builds an app (`import lims` stays light, no cycles)
    from lims.api import BLUEPRINTS
    from lims.core import apidocs
    from lims.extensions import api, csrf
    from lims.web import blueprints as page_blueprints

    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
        csrf.exempt(blp)
    app.register_blueprint(apidocs.bp)
    # the factory imports the application's parts as it builds an app (`import lims` stays light, no cycles)
    from lims.modules.ops import views as ops_views

    app.register_blueprint(ops_views.bp)
    ops_views.init_app(app)
    for bp in page_blueprints():
        app.register_blueprint(bp)
    from lims.modules.issuance import public  # the factory imports the app's parts as it builds it
    from lims.modules.tasks import functions  # noqa: F401  (registers the task functions: imports, issuing, …)

    public.init_app(app)  # the public check's WSGI fast path in front of everything


def register_errorhandlers(app: Flask) -> None:
    """JSON errors under /api, HTML error pages elsewhere, commit/rollback at request end."""
    # the factory imports the application's parts as it builds an app (`import lims` stays light, no cycles)
    from lims.core import http

    http.init_app(app)


def register_commands(app: Flask) -> None:
    """Attach the operator command groups to ``flask``/``lims``."""
    # the factory imports the application's parts as it builds an app (`import lims` stays light, no cycles)
    from lims.cli import register

    register(app)
