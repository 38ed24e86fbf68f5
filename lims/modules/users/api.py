"""JSON API of users, the caller's profile, passwords and API tokens."""
from collections.abc import Sequence
from typing import Any

from flask import g
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from lims.core.auth import login_required, require_roles
from lims.core.db import generic_update, get_or_404
from lims.core.schemas import PageArgsSchema, paginate
from lims.modules.users import operations as ops
from lims.modules.users.models import ApiToken, User
from lims.modules.users.schemas import (
    PasswordChangeSchema,
    PasswordResetSchema,
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenSchema,
    UserCreateSchema,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users, roles and API tokens")


@blp.route("/users")
class Users(MethodView):
    @require_roles()
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List users (admin)"""
        return paginate(select(User).order_by(User.id), args)

    @require_roles()
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> User:
        """Create a user (admin)"""
        return ops.create_user(**data)


@blp.route("/users/<int:user_id>")
class UserItem(MethodView):
    @require_roles()
    @blp.response(200, UserSchema)
    def get(self, user_id: int) -> User:
        """Get a user (admin)"""
        return get_or_404(User, user_id)

    @require_roles()
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """Update a user (admin)"""
        user = get_or_404(User, user_id)
        if user.id == current_user.id and data.get("is_active_user") is False:
            abort(409, message="you cannot deactivate your own account; another admin can")
        generic_update(user, data)
        return user


@blp.route("/users/<int:user_id>/password", methods=["PUT"])
@require_roles()
@blp.arguments(PasswordResetSchema)
@blp.response(200, UserSchema)
def reset_password(data: dict[str, Any], user_id: int) -> User:
    """Reset a user's password (admin); the user must change it at the next login and every session ends"""
    user = get_or_404(User, user_id)
    return ops.reset_password(user, data["password"])


@blp.route("/me")
@login_required
@blp.response(200, UserSchema)
def me() -> User:
    """The authenticated user"""
    return current_user._get_current_object()


@blp.route("/me/password", methods=["PUT"])
@login_required
@blp.arguments(PasswordChangeSchema)
@blp.response(200, UserSchema)
def change_my_password(data: dict[str, Any]) -> User:
    """Change your password (the current one is required); your sessions end, API tokens stay"""
    return ops.change_password(current_user._get_current_object(), data["old_password"], data["new_password"])


@blp.route("/me/tokens")
class MyTokens(MethodView):
    @login_required
    @blp.response(200, TokenSchema(many=True))
    def get(self) -> Sequence[ApiToken]:
        """List your API tokens (with expiry and last use)"""
        return ops.tokens_of(current_user)

    @login_required
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema)
    def post(self, data: dict[str, Any]) -> ApiToken:
        """Create an API token; the secret is in the response only"""
        row, secret = ops.create_token(current_user, data["name"], data.get("expires_in_days"))
        row.token = secret  # transient: dumped once, never stored
        return row


@blp.route("/me/tokens/<int:token_id>", methods=["DELETE"])
@login_required
@blp.response(204)
def revoke_my_token(token_id: int) -> None:
    """Revoke one of your API tokens"""
    token = get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(403, message="not your token")
    if getattr(g, "api_token", None) is not None and g.api_token.id == token.id:
        # Revoking the credential in use would lock the caller out mid-request; a token is
        # retired from another token, the profile page or `lims tokens revoke`.
        abort(409, message="this token authenticates this request; revoke it with another token, "
                           "on the profile page or with `lims tokens revoke`")
    ops.revoke_token(token)
