"""Marshmallow schemas of users, passwords and API tokens."""
from marshmallow import fields, validate

from lims.core.schemas import Bool, DumpSchema, LoadSchema, VersionSchema, page_schema
from lims.modules.users.models import ROLES
from lims.modules.users.operations import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, TOKEN_MAX_DAYS

_PASSWORD = validate.Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH)


class UserSchema(DumpSchema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String()
    role = fields.String()
    organisation_id = fields.Integer()
    is_active = fields.Boolean(attribute="is_active_user")
    must_change_password = fields.Boolean()
    password_changed_dt = fields.DateTime(allow_none=True)
    version = fields.Integer()


class UserCreateSchema(LoadSchema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,64}$"))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    email = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    organisation_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    password = fields.String(required=True, load_only=True, validate=_PASSWORD)


class UserUpdateSchema(VersionSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=120))
    email = fields.String(validate=validate.Length(max=200))
    is_active_user = Bool(data_key="is_active")


class PasswordChangeSchema(LoadSchema):
    old_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, load_only=True, validate=_PASSWORD)


class PasswordResetSchema(LoadSchema):
    password = fields.String(required=True, load_only=True, validate=_PASSWORD,
                             metadata={"description": "a temporary password; the user must change it at login"})


class TokenSchema(DumpSchema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_dt = fields.DateTime()
    last_used_dt = fields.DateTime(allow_none=True, metadata={"description": "recorded to the minute"})
    expires_dt = fields.DateTime(allow_none=True)
    revoked_dt = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"description": "active, expired or revoked"})


class TokenCreatedSchema(TokenSchema):
    token = fields.String(metadata={"description": "the secret; shown only once"})


class TokenCreateSchema(LoadSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    expires_in_days = fields.Integer(load_default=None, allow_none=True,
                                     validate=validate.Range(min=1, max=TOKEN_MAX_DAYS),
                                     metadata={"description": "omit (or null) for a token without expiry"})


UserPageSchema = page_schema(UserSchema, "UserPageSchema")
