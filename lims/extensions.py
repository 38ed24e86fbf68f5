"""Unbound extension objects; ``create_app`` binds them."""
import threading
from typing import Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class LazyDocApi(Api):
    """flask-smorest's ``Api`` that writes the OpenAPI document when it is first read, not at app start.

    Documenting the 120 endpoints was half of ``create_app`` (about 0.1 s of apispec resolving and
    copying schemas, for every gunicorn worker and every test's app); the document is read only by
    ``/api/openapi.json`` and the API docs page. The blueprints are still registered with Flask at once;
    only their documentation waits, and is then written exactly as flask-smorest writes it.
    """

    _pending: list[tuple[Any, Any, str, Any]]
    _spec: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._doc_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self) -> Any:
        if self._pending:
            with self._doc_lock:
                pending, self._pending = self._pending, []
                for app, blp, name, parameters in pending:
                    blp.register_views_in_doc(self, app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value: Any) -> None:  # a new app's document (init_app): what was pending was the last app's
        self._spec = value
        self._pending = []

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """As ``Api.register_blueprint``, with the blueprint's documentation left for the first read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._pending.append((self._app, blp, name, parameters))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = LazyDocApi()
# storage and switches come from the RATELIMIT_* settings (lims.config); memory:// in development
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()
