"""JSON API of verification procedures: a job's test points and the results entered for them.

Everyone who may read the job reads its plan and results (customers: their own organisation's
jobs); only lab staff enter results, and only while the job is in progress.
"""
from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from lims.core.auth import check_org, login_required, require_roles
from lims.core.db import get_or_404
from lims.modules.jobs.models import Job
from lims.modules.procedures import operations as ops
from lims.modules.procedures.models import PointResult
from lims.modules.procedures.schemas import EnteredResultSchema, JustificationSchema, ProcedureSchema, ResultEntrySchema
from lims.modules.users.models import LAB_ROLES

blp = Blueprint("procedures", __name__, url_prefix="/api/v1",
                description="Verification procedures: test points, entered results, judged errors")


@blp.route("/jobs/<int:job_id>/procedure", methods=["GET"])
@login_required
@blp.response(200, ProcedureSchema)
def get_procedure(job_id: int) -> dict[str, Any]:
    """The job's test points (nominal, unit, MPE for its verification kind) with any result entered

    409 when the job has no procedure (a calibration, or an instrument type without one) or the
    instrument's declared characteristics do not allow a plan.
    """
    job = get_or_404(Job, job_id)
    check_org(current_user, job.instrument.owner_id)
    return ops.procedure_view(job)


@blp.route("/jobs/<int:job_id>/results", methods=["POST"])
@require_roles(*LAB_ROLES)
@blp.arguments(ResultEntrySchema)
@blp.response(200, EnteredResultSchema)
def enter_result(data: dict[str, Any], job_id: int) -> PointResult:
    """Enter (or re-enter) one test point's indication; the error is computed and judged against the MPE

    Scales: with ΔL (`flash_delta`) the rounding error is corrected, E = I + 0.5 e − ΔL − L, and
    Ec = E − E0 (`zero_error`) is judged. Simple acceptance (ILAC-G8 4.2.1): pass when |Ec| ≤ MPE.
    Only while the job is in progress (409 otherwise); earlier values stay in the audit trail.
    """
    job = get_or_404(Job, job_id)
    return ops.enter_result(job, current_user, data)


@blp.route("/jobs/<int:job_id>/results/justification", methods=["POST"])
@require_roles("lab_manager")
@blp.arguments(JustificationSchema)
@blp.response(200, EnteredResultSchema)
def justify(data: dict[str, Any], job_id: int) -> PointResult:
    """The lab manager's justification of a point whose U/MPE exceeds 1/3 (or which has no budget)

    Approval is refused (409) while a flagged point has none. Audited with the point's row.
    """
    job = get_or_404(Job, job_id)
    return ops.justify(job, current_user, data["point"], data["justification"])
