"""JSON API of complaints: the owner's and the lab's view (the public report is a page, see lims/web/complaints.py)."""
from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from lims.core.auth import login_required
from lims.core.schemas import paginate
from lims.modules.complaints import operations as ops
from lims.modules.complaints import schemas as s
from lims.modules.complaints.models import Complaint

blp = Blueprint("complaints", __name__, url_prefix="/api/v1",
                description="Problems the public reported about instruments, and their answers")


@blp.route("/complaints")
class Complaints(MethodView):
    @login_required
    @blp.arguments(s.ComplaintQuerySchema, location="query")
    @blp.response(200, s.ComplaintPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List complaints (customers: their organisation's), newest first"""
        q = ops.complaints_for(current_user)
        if args.get("state"):
            q = q.where(Complaint.state == args["state"])
        return paginate(q, args)


@blp.route("/complaints/<int:complaint_id>")
class ComplaintItem(MethodView):
    @login_required
    @blp.response(200, s.ComplaintSchema)
    def get(self, complaint_id: int) -> Complaint:
        """Get a complaint"""
        return ops.readable(current_user, complaint_id)


@blp.route("/complaints/<int:complaint_id>/answer", methods=["POST"])
@login_required
@blp.arguments(s.ComplaintAnswerSchema)
@blp.response(200, s.ComplaintSchema)
def answer(data: dict[str, Any], complaint_id: int) -> Complaint:
    """Answer a complaint (the owner's manager or the lab)"""
    return ops.answer(ops.readable(current_user, complaint_id), current_user, data)


@blp.route("/complaints/<int:complaint_id>/close", methods=["POST"])
@login_required
@blp.arguments(s.ComplaintCloseSchema)
@blp.response(200, s.ComplaintSchema)
def close(data: dict[str, Any], complaint_id: int) -> Complaint:
    """Close a complaint (the owner's manager or the lab)"""
    return ops.close(ops.readable(current_user, complaint_id), current_user, data)
