"""JSON API of out-of-tolerance recalls: record an incident, list the affected certificates, decide, letters."""
from collections.abc import Sequence
from typing import Any

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint
from werkzeug.exceptions import NotFound

from lims.core.auth import login_required, require_roles, sees_all_organisations
from lims.core.db import get_or_404
from lims.extensions import db
from lims.modules.equipment.models import ReferenceStandard
from lims.modules.recalls import operations as ops
from lims.modules.recalls.models import RecallItem, StandardIncident
from lims.modules.recalls.schemas import DecisionSchema, IncidentCreateSchema, IncidentSchema, RecallItemSchema

blp = Blueprint("recalls", __name__, url_prefix="/api/v1",
                description="Out-of-tolerance recall: certificates that used a standard found out of tolerance")


@blp.route("/standards/<int:standard_id>/incidents", methods=["POST"])
@require_roles("lab_manager")
@blp.arguments(IncidentCreateSchema)
@blp.response(201, IncidentSchema)
def record_incident(data: dict[str, Any], standard_id: int) -> StandardIncident:
    """Record a standard found out of tolerance or damaged; the affected certificates are listed and re-evaluated

    Every certificate (not revoked) of work performed since the standard's last good calibration whose
    points were measured with it gets a recall item, visible to its customer, with each point
    re-evaluated with the corrected values given.
    """
    std = get_or_404(ReferenceStandard, standard_id)
    return ops.record_incident(std, current_user, data)


@blp.route("/incidents/<int:incident_id>", methods=["GET"])
@require_roles("lab_manager", "technician")
@blp.response(200, IncidentSchema)
def get_incident(incident_id: int) -> StandardIncident:
    """One incident with its affected certificates"""
    return get_or_404(StandardIncident, incident_id)


@blp.route("/recalls", methods=["GET"])
@login_required
@blp.response(200, RecallItemSchema(many=True))
def list_recalls() -> Sequence[RecallItem]:
    """Recall notices: customers see their organisation's, the lab all"""
    return db.session.execute(ops.items_for(current_user)).scalars().all()


def _readable(item_id):
    item = get_or_404(RecallItem, item_id)

    if not sees_all_organisations(current_user) and item.organisation_id != current_user.organisation_id:
        raise NotFound(f"no recall notice {item_id}")
    return item


@blp.route("/recalls/<int:item_id>/letter", methods=["GET"])
@login_required
@blp.response(200, description="the letter to the customer (text, zh + en)", content_type="text/plain")
def recall_letter(item_id: int) -> Response:
    """The customer's letter about one affected certificate"""
    item = _readable(item_id)
    return Response(ops.letter(item), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="recall-{item.id}.txt"'})


@blp.route("/recalls/<int:item_id>/decision", methods=["POST"])
@require_roles("lab_manager")
@blp.arguments(DecisionSchema)
@blp.response(200, RecallItemSchema)
def decide(data: dict[str, Any], item_id: int) -> RecallItem:
    """The lab manager's decision on one certificate: keep, amend or revoke (audited; revoke revokes it)"""
    return ops.decide(get_or_404(RecallItem, item_id), current_user, data["decision"], data["note"])
