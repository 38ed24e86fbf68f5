"""The page of a background task: a progress bar that keeps going after a reload, then the result.

The page is rendered with the task's state at that moment; ``static/js/task-progress.js`` polls
``GET /api/v1/tasks/<id>`` (the browser session may read the API) and moves the bar. Without
JavaScript the page refreshes itself with a ``<meta http-equiv=refresh>`` while the task runs.
"""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm as Form

from lims.core.auth import login_required
from lims.extensions import db
from lims.modules.tasks import operations as ops
from lims.web.messages import translate

bp = Blueprint("task_pages", __name__)

KIND_LABELS = {"instrument_import": _l("Import instruments (CSV)"), "sticker_sheet": _l("Sticker sheet"),
               "batch_issue": _l("Issue certificates"), "campaign-plan": _l("Plan a campaign")}


@bp.route("/tasks/<int:task_id>")
@login_required
def task_page(task_id: int) -> ResponseReturnValue:
    task = ops.readable_task(current_user, task_id)
    return render_template("tasks/task.html", task=task, kind_label=KIND_LABELS.get(task.kind, task.kind),
                           form=Form(), error=translate(task.error) if task.error else None)


@bp.route("/tasks/<int:task_id>/retry", methods=["POST"])
@login_required
def retry_page(task_id: int) -> ResponseReturnValue:
    task = ops.readable_task(current_user, task_id)
    form = Form()
    if form.validate_on_submit() and task.status != "done":
        ops.retry(task)
        flash(_("The task was started again; it continues after the last stored piece of work."))
    db.session.commit()
    return redirect(url_for("task_pages.task_page", task_id=task_id))
