"""Settings: defaults, then the environment, then the mapping passed to ``create_app``."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

#: the Alembic scripts (Flask-Migrate), beside the package
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
DEFAULT_SECRET_KEY = "dev-insecure-change-me"
ENV_NAMES = ("development", "test", "production")
MIN_PRODUCTION_SECRET_LENGTH = 32


class DefaultConfig:
    """Defaults for every deployment; each can be overridden by an ``LIMS_*`` environment variable."""

    ENV_NAME = "development"
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled in by load_config: a SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    SQLALCHEMY_RECORD_QUERIES = False
    JSON_SORT_KEYS = False
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # True in production (load_config)
    # the largest request body (a 10 MB register upload plus form overhead); a larger one is a 413 unread
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    MAX_JSON_BYTES = 2 * 1024 * 1024  # a JSON body larger than this is a 413 before it is parsed
    # Flask-Limiter: memory in development; production sets LIMS_RATELIMIT_STORAGE_URL=redis://host:6379
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "lims"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: count in memory rather than fail or let all through
    # failed logins counted per account and per client address; a breach answers 429 with Retry-After
    LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"
    PUBLIC_CHECK_LIMIT = "120 per minute;2000 per hour"  # generous: a market's shoppers share one address
    # the paper-certificate lookup (number + serial) answers whether a pair exists: stricter than the check
    PUBLIC_LOOKUP_LIMIT = "20 per minute;200 per hour"
    HSTS_MAX_AGE = 31536000
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
    READINGS_STREAM_SECONDS = 30.0  # how long one server-sent-events response of a job's live readings lasts
    PUBLIC_CHECK_STAMP_SECONDS = 1.0  # how often a worker re-reads the certificates' cache stamp


# environment variable -> config key (and a converter)
_ENV = {
    "LIMS_ENV": ("ENV_NAME", str),
    "LIMS_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "LIMS_SECRET_KEY": ("SECRET_KEY", str),
    "LIMS_PUBLIC_HOST": ("PUBLIC_HOST", str),
    "LIMS_KEY_DIR": ("KEY_DIR", str),
    "LIMS_DUE_SOON_DAYS": ("DUE_SOON_DAYS", int),
    "LIMS_RATELIMIT_STORAGE_URL": ("RATELIMIT_STORAGE_URI", str),
    "LIMS_TASK_QUEUE": ("TASK_QUEUE", str),
    "LIMS_PUBLIC_CHECK_STAMP_SECONDS": ("PUBLIC_CHECK_STAMP_SECONDS", float),
    "LIMS_PUBLIC_CHECK_LIMIT": ("PUBLIC_CHECK_LIMIT", str),
    "LIMS_READINGS_STREAM_SECONDS": ("READINGS_STREAM_SECONDS", float),
}


class ConfigError(RuntimeError):
    """The configuration is unsafe or inconsistent; the app refuses to start."""


def load_config(app: Flask, config: Mapping[str, Any] | None = None) -> None:
    """Apply defaults, environment and the explicit mapping, then check the result.

    :param app: the Flask app being created.
    :param config: an optional mapping that wins over everything else (tests pass one).
    :raises ConfigError: an unknown ``LIMS_ENV``; production with a missing or short secret key.
    """
    app.config.from_object(DefaultConfig)
    for var, (key, conv) in _ENV.items():
        if os.environ.get(var):
            app.config[key] = conv(os.environ[var])
    if config:
        app.config.update(config)
    if app.config["ENV_NAME"] not in ENV_NAMES:
        raise ConfigError(f"LIMS_ENV={app.config['ENV_NAME']!r} is not one of {', '.join(ENV_NAMES)}")
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
    if app.config["ENV_NAME"] == "production":
        _check_production(app)


def _check_production(app):
    secret = app.config["SECRET_KEY"]
    if secret in (DEFAULT_SECRET_KEY, "", None):
        raise ConfigError("LIMS_SECRET_KEY must be set to a secret value in production")
    if len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
        raise ConfigError(f"LIMS_SECRET_KEY is {len(secret)} characters; production needs at least "
                          f"{MIN_PRODUCTION_SECRET_LENGTH} random characters (e.g. secrets.token_hex(32))")
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = True
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        app.logger.warning("rate limits are kept in memory per worker; set LIMS_RATELIMIT_STORAGE_URL "
                           "(redis://127.0.0.1:6379) so every worker shares them")
