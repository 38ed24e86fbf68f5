"""Read-only JSON API of the audit trail (there is no endpoint that changes it)."""
from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from lims.core.audit import AuditEvent
from lims.core.auth import require_roles
from lims.core.schemas import paginate
from lims.modules.audit.schemas import AuditEventPageSchema, AuditQuerySchema

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="The append-only audit trail")


@blp.route("/audit-events")
@require_roles("lab_manager")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEventPageSchema)
def list_audit_events(args: dict[str, Any]) -> dict[str, Any]:
    """List audit events, newest first"""
    q = select(AuditEvent).order_by(AuditEvent.id.desc())
    if args.get("entity"):
        q = q.where(AuditEvent.entity == args["entity"])
    if args.get("entity_id"):
        q = q.where(AuditEvent.entity_id == args["entity_id"])
    return paginate(q, args)
