"""JSON API of organisations."""
from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from lims.core.auth import check_org, login_required, require_roles, sees_all_organisations
from lims.core.db import get_or_404
from lims.core.schemas import DumpSchema, LoadSchema, PageArgsSchema, VersionSchema, page_schema, paginate
from lims.modules.organisations import operations as org_ops
from lims.modules.organisations.models import ORG_KINDS, Organisation

blp = Blueprint("organisations", __name__, url_prefix="/api/v1", description="The lab and its customers")


class OrganisationSchema(DumpSchema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    address = fields.String()
    district = fields.String()
    contact = fields.String()
    version = fields.Integer()


class OrganisationCreateSchema(LoadSchema):
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(load_default="", validate=validate.Length(max=300))
    district = fields.String(load_default="", validate=validate.Length(max=100))
    contact = fields.String(load_default="", validate=validate.Length(max=200))


class OrganisationUpdateSchema(VersionSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(max=300))
    district = fields.String(validate=validate.Length(max=100))
    contact = fields.String(validate=validate.Length(max=200))


class OrganisationQuerySchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(ORG_KINDS))


OrganisationPageSchema = page_schema(OrganisationSchema, "OrganisationPageSchema")


@blp.route("/organisations")
class Organisations(MethodView):
    @login_required
    @blp.arguments(OrganisationQuerySchema, location="query")
    @blp.response(200, OrganisationPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List organisations (customers see only their own)"""
        q = select(Organisation).order_by(Organisation.id)
        if not sees_all_organisations(current_user):
            q = q.where(Organisation.id == current_user.organisation_id)
        if args.get("kind"):
            q = q.where(Organisation.kind == args["kind"])
        return paginate(q, args)

    @require_roles()
    @blp.arguments(OrganisationCreateSchema)
    @blp.response(201, OrganisationSchema)
    def post(self, data: dict[str, Any]) -> Organisation:
        """Create an organisation (admin)"""
        return org_ops.create_organisation(data)


@blp.route("/organisations/<int:org_id>")
class OrganisationItem(MethodView):
    @login_required
    @blp.response(200, OrganisationSchema)
    def get(self, org_id: int) -> Organisation:
        """Get an organisation"""
        org = get_or_404(Organisation, org_id)
        check_org(current_user, org.id)
        return org

    @require_roles()
    @blp.arguments(OrganisationUpdateSchema)
    @blp.response(200, OrganisationSchema)
    def patch(self, data: dict[str, Any], org_id: int) -> Organisation:
        """Update an organisation (admin)"""
        org = get_or_404(Organisation, org_id)
        return org_ops.update_organisation(org, data)
