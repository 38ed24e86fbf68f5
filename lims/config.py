"""Settings: defaults, then the environment, then the mapping passed to ``create_app``."""
import os

DEFAULT_SECRET_KEY = "dev-insecure-change-me"


class DefaultConfig:
    """Defaults for every deployment; each can be overridden by an ``LIMS_*`` environment variable."""

    ENV_NAME = "development"
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled in by load_config: a SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {}
    SQLALCHEMY_RECORD_QUERIES = False
    JSON_SORT_KEYS = False
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    DUE_SOON_DAYS = 30
    API_TITLE = "Metrology LIMS API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = None  # served from the vendored bundle by lims.core.apidocs
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
        "info": {"description": "Register, scheduling and verification records of a legal-metrology lab."},
    }
    PUBLIC_HOST = "127.0.0.1:5000"
    DEMO = False
    TASK_QUEUE = None  # "sqlite" (default), "sqlite:///path", "redis://host:6379/0" or "immediate" (tests)
    PUBLIC_CHECK_STAMP_SECONDS = 1.0  # how often a worker re-reads the certificates' cache stamp


# environment variable -> config key (and a converter)
_ENV = {
    "LIMS_ENV": ("ENV_NAME", str),
    "LIMS_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "LIMS_SECRET_KEY": ("SECRET_KEY", str),
    "LIMS_PUBLIC_HOST": ("PUBLIC_HOST", str),
    "LIMS_KEY_DIR": ("KEY_DIR", str),
    "LIMS_DUE_SOON_DAYS": ("DUE_SOON_DAYS", int),
    "LIMS_TASK_QUEUE": ("TASK_QUEUE", str),
    "LIMS_PUBLIC_CHECK_STAMP_SECONDS": ("PUBLIC_CHECK_STAMP_SECONDS", float),
}


class ConfigError(RuntimeError):
    """The configuration is unsafe or inconsistent; the app refuses to start."""


def load_config(app, config=None):
    """Apply defaults, environment and the explicit mapping, then check the result.

    :param app: the Flask app being created.
    :param config: an optional mapping that wins over everything else (tests pass one).
    :raises ConfigError: production with the default secret key.
    """
    app.config.from_object(DefaultConfig)
    for var, (key, conv) in _ENV.items():
        if os.environ.get(var):
            app.config[key] = conv(os.environ[var])
    if config:
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "lims.db")
    if not app.config.get("TASK_QUEUE"):
        app.config["TASK_QUEUE"] = "immediate" if app.config.get("TESTING") else "sqlite"
    app.config.setdefault("KEY_DIR", os.path.join(app.instance_path, "keys"))
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://"):]
    if uri.startswith("sqlite"):
        opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        opts.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts
    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] in (DEFAULT_SECRET_KEY, "", None):
        raise ConfigError("LIMS_SECRET_KEY must be set to a secret value in production")
