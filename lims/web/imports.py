"""Import an instrument register from CSV (market managers, equipment officers; admins choose the owner).

Every row is checked at once with :func:`lims.modules.equipment.operations.validate_import` (the
checks of ``POST /api/v1/instruments/import`` and ``lims instruments import``); with any problem
nothing is stored and each is reported (row, column, problem). A clean file is stored by a
background task (``instrument_import``) and the browser goes to its progress page.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lims.core.auth import require_roles
from lims.extensions import db
from lims.modules.equipment import operations as eq_ops
from lims.modules.equipment.models import InstrumentType
from lims.modules.organisations.models import Organisation
from lims.modules.tasks.api import submit_import
from lims.modules.users.models import CUSTOMER_ROLES
from lims.web.lab_forms import ImportForm
from lims.web.work_forms import choices

bp = Blueprint("import_pages", __name__)

SHOWN_PROBLEMS = 500


def _render(form, problems=None, code=200):
    types = db.session.execute(select(InstrumentType).order_by(InstrumentType.code)).scalars().all()
    columns = list(eq_ops.IMPORT_COLUMNS)
    return render_template("lab/import.html", form=form, types=types, columns=columns,
                           problems=(problems or [])[:SHOWN_PROBLEMS], total_problems=len(problems or []),
                           is_admin=current_user.role == "admin"), code


def _owner(form):
    """``(owner organisation, allow owner_id column)`` as the API and the CLI decide it, or None on error."""
    if current_user.role != "admin":
        return current_user.organisation, False
    if not form.owner_id.data:
        return None, True  # every row names its owner in the owner_id column
    owner = db.session.get(Organisation, form.owner_id.data)
    if owner is None:
        form.owner_id.errors = list(form.owner_id.errors) + [_("No such organisation.")]
        return None
    return owner, False


@bp.route("/instruments/import", methods=["GET", "POST"])
@require_roles(*CUSTOMER_ROLES)
def import_csv() -> ResponseReturnValue:
    """Upload a CSV; show the problems of every row (nothing stored) or the count imported."""
    form = ImportForm()
    if current_user.role == "admin":
        orgs = db.session.execute(select(Organisation).where(Organisation.kind != "lab").order_by(Organisation.name)
                                  ).scalars().all()
        form.owner_id.choices = choices([(0, _("— from the owner_id column"))] + [(o.id, o.name) for o in orgs])
    if request.method == "GET":
        return _render(form)
    if not form.validate_on_submit():
        return _render(form, code=400 if form.csrf_token.errors else 422)
    raw = form.file.data.read(eq_ops.MAX_IMPORT_BYTES + 1)
    if len(raw) > eq_ops.MAX_IMPORT_BYTES:
        form.file.errors = [_("The file is larger than 10 MiB.")]
        return _render(form, code=413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        form.file.errors = [_("Not UTF-8 text (byte %(n)d); save the sheet as CSV UTF-8.", n=exc.start)]
        return _render(form, code=422)
    owner = _owner(form)
    if owner is None:
        return _render(form, code=422)
    _rows, problems = eq_ops.validate_import(text, *owner)
    if problems:
        db.session.rollback()
        return _render(form, problems, 422)

    org, allow_owner_column = owner
    task = submit_import(text, current_user, org.id if org is not None else None, allow_owner_column)
    if task.status == "done" and task.result is not None:
        flash(_("%(n)d instruments imported.", n=task.result["created"]))
        return redirect(url_for("pages.instruments"))
    return redirect(url_for("task_pages.task_page", task_id=task.id))
