"""JSON API of background tasks: start long work (202 + the task's URL), poll it, fetch its output, retry."""
import hashlib
import json
from typing import Any

from flask import Response, url_for
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import fields, validate

from lims.core.auth import check_org, login_required, require_roles
from lims.core.db import get_or_404
from lims.core.schemas import DumpSchema, LoadSchema
from lims.extensions import db
from lims.modules.equipment import operations as eq
from lims.modules.issuance.models import Certificate
from lims.modules.tasks import operations as ops
from lims.modules.tasks.models import Task as TaskRow
from lims.modules.users.models import User

blp = Blueprint("tasks", __name__, url_prefix="/api/v1", description="Background tasks with progress")

MAX_BATCH = 5000


class TaskSchema(DumpSchema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    progress = fields.Float(metadata={"description": "0 to 1"})
    message = fields.String()
    result = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    attempts = fields.Integer()
    owner_id = fields.Integer(allow_none=True)
    created_dt = fields.DateTime()
    started_dt = fields.DateTime(allow_none=True)
    finished_dt = fields.DateTime(allow_none=True)
    url = fields.Function(lambda t: url_for("tasks.Task", task_id=t.id))
    page = fields.Function(lambda t: url_for("task_pages.task_page", task_id=t.id))
    output = fields.Function(lambda t: url_for("tasks.task_output", task_id=t.id) if t.output_type else None)


class IdsSchema(LoadSchema):
    ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)), required=True,
                      validate=validate.Length(min=1, max=MAX_BATCH))


class ImportTaskFileSchema(LoadSchema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"}, required=True)
    owner_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


Accepted = tuple[TaskRow, int, dict[str, str]]  # a queued task: 202 with its Location


def accepted(task: TaskRow) -> Accepted:
    """202 with the task and ``Location: /api/v1/tasks/<id>``."""
    return task, 202, {"Location": url_for("tasks.Task", task_id=task.id)}


def _key(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@blp.route("/tasks/<int:task_id>", endpoint="Task")
@login_required
@blp.response(200, TaskSchema)
def get_task(task_id: int) -> TaskRow:
    """A task's status and progress (poll this until status is done or failed)"""
    return ops.readable_task(current_user, task_id)


@blp.route("/tasks/<int:task_id>/output")
@login_required
@blp.response(200, description="The file the task produced", content_type="application/octet-stream")
def task_output(task_id: int) -> Response:
    """Download what a finished task produced (e.g. a sticker sheet PDF)"""
    task = ops.readable_task(current_user, task_id)
    if task.status != "done" or not task.output_type:
        abort(404, message=f"task {task_id} has no output (status {task.status})")
    return Response(bytes(task.output or b""), mimetype=task.output_type)


@blp.route("/tasks/<int:task_id>/retry", methods=["POST"])
@login_required
@blp.response(202, TaskSchema)
def retry_task(task_id: int) -> Accepted:
    """Run a failed or interrupted task again; it continues after its last committed piece of work"""
    return accepted(ops.retry(ops.readable_task(current_user, task_id)))


@blp.route("/tasks/instrument-import", methods=["POST"])
@require_roles("market_manager", "equipment_officer")
@blp.arguments(ImportTaskFileSchema, location="files")
@blp.response(202, TaskSchema)
def start_import(files: dict[str, Any]) -> Accepted:
    """Import a register CSV in the background (same columns and checks as /instruments/import).

    Submitting the same file again returns the same task (idempotent).
    """

    raw = files["file"].read(eq.MAX_IMPORT_BYTES + 1)
    if len(raw) > eq.MAX_IMPORT_BYTES:
        abort(413, message="the file is larger than 10 MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        abort(422, errors={"file": [f"not UTF-8 text (byte {exc.start})"]})
    is_admin = current_user.role == "admin"
    return accepted(submit_import(text, current_user, None if is_admin else current_user.organisation_id, is_admin))


def submit_import(text: str, user: User, org_id: int | None, allow_owner_column: bool) -> TaskRow:
    """Queue a register import for ``user`` (also used by the import page)."""
    payload = {"csv": text, "org_id": org_id, "allow_owner_column": allow_owner_column}
    return ops.submit("instrument_import", "import:" + _key(user.id, payload), payload, user)


@blp.route("/tasks/sticker-sheet", methods=["POST"])
@login_required
@blp.arguments(IdsSchema)
@blp.response(202, TaskSchema)
def start_sticker_sheet(data: dict[str, Any]) -> Accepted:
    """Render the sticker sheet of up to 5000 certificates in the background (output: a PDF)"""

    for cid in data["ids"]:
        check_org(current_user, get_or_404(Certificate, cid).instrument.owner_id)
    payload = {"certificate_ids": data["ids"]}
    return accepted(ops.submit("sticker_sheet", "stickers:" + _key(current_user.id, payload), payload, current_user))


@blp.route("/tasks/batch-issue", methods=["POST"])
@require_roles("lab_manager")
@blp.arguments(IdsSchema)
@blp.response(202, TaskSchema)
def start_batch_issue(data: dict[str, Any]) -> Accepted:
    """Issue the certificates of many approved jobs in the background, the caller signing"""
    payload = {"job_ids": data["ids"]}
    return accepted(ops.submit("batch_issue", "issue:" + _key(current_user.id, payload), payload, current_user))


__all__ = ["blp", "db"]
