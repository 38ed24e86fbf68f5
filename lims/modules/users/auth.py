"""Authentication: Flask-Login sessions for pages, bearer tokens for the API.

A session cookie carries ``"<user id>.<session nonce>"``; logging out or changing the password
rotates the user's nonce, so every saved cookie of that user is refused server-side from then on.
"""
from flask import Flask, abort, g, redirect, request, url_for
from flask_login import current_user

from lims.core.audit import set_actor
from lims.extensions import db, login_manager
from lims.modules.users import operations as ops
from lims.modules.users.models import User

PUBLIC_API_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")
# what a user who must change the password may still reach (besides static files)
_PASSWORD_CHANGE_ENDPOINTS = ("pages.change_password", "pages.logout", "pages.index", "static", "users.me",
                              "users.change_my_password")


def load_session_user(session_id: str) -> User | None:
    """Return the active user named by a session's ``"<id>.<nonce>"``, else None."""
    user_id, _, nonce = str(session_id).partition(".")
    if not user_id.isdigit() or len(user_id) > 10 or not nonce:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or not user.session_nonce or user.session_nonce != nonce:
        return None
    return user


def init_app(app: Flask) -> None:
    """Wire the user loader and the per-request authentication hook."""
    login_manager.login_view = "pages.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_session_user)

    @login_manager.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            abort(401, description="authentication required: send 'Authorization: Bearer <token>'")
        return redirect(url_for("pages.login", next=request.full_path))

    @app.before_request
    def _authenticate():
        if request.path.startswith("/api/") and not request.path.startswith(PUBLIC_API_PATHS):
            _authenticate_api()
        if current_user.is_authenticated:
            set_actor(current_user.id, current_user.username)
            if (current_user.must_change_password and getattr(g, "api_token", None) is None
                    and request.endpoint not in _PASSWORD_CHANGE_ENDPOINTS):
                if request.path.startswith("/api/"):
                    abort(403, description="you must change your password first (an administrator reset it)")
                return redirect(url_for("pages.change_password"))
        else:
            set_actor(None, "anonymous")


def _authenticate_api() -> None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip() or len(secret) > 200:
            abort(401, description="malformed Authorization header; expected 'Bearer <token>'")
        token = ops.token_by_secret(secret.strip())
        if token is None or token.is_revoked or not token.user.is_active:
            abort(401, description="invalid or revoked API token")
        if token.is_expired():
            abort(401, description=f"API token expired on {token.expires_dt:%Y-%m-%d %H:%M} UTC")
        ops.record_token_use(token)
        g._login_user = token.user
        g.api_token = token
        return
    # A browser session may read the API (pages use it), but never change anything through it:
    # the API is exempt from CSRF, so unsafe methods require a bearer token.
    if not current_user.is_authenticated or request.method not in ("GET", "HEAD", "OPTIONS"):
        abort(401, description="authentication required: send 'Authorization: Bearer <token>'")
