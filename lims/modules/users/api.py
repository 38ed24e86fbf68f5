"""JSON API of users, the caller's profile and API tokens."""
from flask import g
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import fields, validate
from sqlalchemy import select

from lims.core.auth import login_required, require_roles
from lims.core.db import generic_update, get_or_404
from lims.core.schemas import Bool, DumpSchema, LoadSchema, PageArgsSchema, VersionSchema, page_schema, paginate
from lims.modules.users import operations as ops
from lims.modules.users.models import ROLES, ApiToken, User

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users, roles and API tokens")


class UserSchema(DumpSchema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String()
    role = fields.String()
    organisation_id = fields.Integer()
    is_active = fields.Boolean(attribute="is_active_user")
    version = fields.Integer()


class UserCreateSchema(LoadSchema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,64}$"))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    email = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    organisation_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))


class UserUpdateSchema(VersionSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=120))
    email = fields.String(validate=validate.Length(max=200))
    is_active_user = Bool(data_key="is_active")


class TokenSchema(DumpSchema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_dt = fields.DateTime()
    last_used_dt = fields.DateTime(allow_none=True)
    revoked_dt = fields.DateTime(allow_none=True)


class TokenCreatedSchema(TokenSchema):
    token = fields.String(metadata={"description": "the secret; shown only once"})


class TokenCreateSchema(LoadSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


UserPageSchema = page_schema(UserSchema, "UserPageSchema")


@blp.route("/users")
class Users(MethodView):
    @require_roles()
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args):
        """List users (admin)"""
        return paginate(select(User).order_by(User.id), args)

    @require_roles()
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user (admin)"""
        return ops.create_user(**data)


@blp.route("/users/<int:user_id>")
class UserItem(MethodView):
    @require_roles()
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """Get a user (admin)"""
        return get_or_404(User, user_id)

    @require_roles()
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Update a user (admin)"""
        user = get_or_404(User, user_id)
        if user.id == current_user.id and data.get("is_active_user") is False:
            abort(409, message="you cannot deactivate your own account; another admin can")
        generic_update(user, data)
        return user


@blp.route("/me")
@login_required
@blp.response(200, UserSchema)
def me():
    """The authenticated user"""
    return current_user._get_current_object()


@blp.route("/me/tokens")
class MyTokens(MethodView):
    @login_required
    @blp.response(200, TokenSchema(many=True))
    def get(self):
        """List your API tokens"""
        from lims.extensions import db

        return db.session.execute(select(ApiToken).where(ApiToken.user_id == current_user.id)
                                  .order_by(ApiToken.id)).scalars().all()

    @login_required
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema)
    def post(self, data):
        """Create an API token; the secret is in the response only"""
        row, secret = ops.create_token(current_user, data["name"])
        row.token = secret  # transient: dumped once, never stored
        return row


@blp.route("/me/tokens/<int:token_id>", methods=["DELETE"])
@login_required
@blp.response(204)
def revoke_my_token(token_id):
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
