"""Authentication: Flask-Login sessions for pages, bearer tokens for the API."""
from flask import abort, g, request
from flask_login import current_user
from sqlalchemy import select

from lims.core.audit import set_actor
from lims.core.db import now_utc
from lims.extensions import db, login_manager
from lims.modules.users.models import ApiToken, User

PUBLIC_API_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


def init_app(app):
    """Wire the user loader and the per-request authentication hook."""
    login_manager.login_view = "pages.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id):
        user = db.session.get(User, int(user_id)) if str(user_id).isdigit() else None
        return user if user is not None and user.is_active else None

    @login_manager.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            abort(401, description="authentication required: send 'Authorization: Bearer <token>'")
        from flask import redirect, url_for

        return redirect(url_for("pages.login", next=request.full_path))

    @app.before_request
    def _authenticate():
        if request.path.startswith("/api/") and not request.path.startswith(PUBLIC_API_PATHS):
            _authenticate_api()
        if current_user.is_authenticated:
            set_actor(current_user.id, current_user.username)
        else:
            set_actor(None, "anonymous")


def _authenticate_api():
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            abort(401, description="malformed Authorization header; expected 'Bearer <token>'")
        token = db.session.execute(
            select(ApiToken).where(ApiToken.token_hash == ApiToken.hash_secret(secret.strip()))
        ).scalar_one_or_none()
        if token is None or token.is_revoked or not token.user.is_active:
            abort(401, description="invalid or revoked API token")
        token.last_used_dt = now_utc()
        g._login_user = token.user
        g.api_token = token
        return
    # A browser session may read the API (pages use it), but never change anything through it:
    # the API is exempt from CSRF, so unsafe methods require a bearer token.
    if not current_user.is_authenticated or request.method not in ("GET", "HEAD", "OPTIONS"):
        abort(401, description="authentication required: send 'Authorization: Bearer <token>'")


