"""Lab equipment pages: reference standards and benches.

Reading is for lab staff, as ``GET /api/v1/standards`` and ``/benches``; changing is for lab
managers (and admins). Forms are loaded through the API's schemas and handed to the same
operations: :func:`lims.modules.equipment.operations.create_standard`,
:func:`lims.modules.equipment.operations.update_standard` (what ``PATCH /api/v1/standards/<id>`` does) and
:func:`lims.modules.equipment.operations.update_bench`. Updates carry the version read, so a stale
form is refused (409) instead of overwriting someone else's change.
"""
import datetime as dt

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from lims.core.auth import require_roles
from lims.core.db import get_or_404
from lims.core.schemas import paginate
from lims.extensions import db
from lims.modules.equipment import operations as ops
from lims.modules.equipment import schemas as s
from lims.modules.equipment.models import STANDARD_KINDS, Bench, ReferenceStandard
from lims.modules.equipment.queries import active_benches
from lims.modules.users.models import LAB_ROLES
from lims.web.common import PER_PAGE, _messages, apply_errors, page_number, run
from lims.web.lab_forms import BLANK_ROWS, BenchEditForm, StandardCreateForm, StandardEditForm
from lims.web.work_forms import choices

bp = Blueprint("lab_pages", __name__)


STANDARD_KIND_LABELS = {
    "weight_set": _l("weight set"),
    "pressure": _l("pressure"),
    "thermometer": _l("thermometer"),
    "electrical": _l("electrical"),
    "other": _l("other"),
}

STANDARD_STATE_LABELS = {
    "valid": _l("in calibration"),
    "due_soon": _l("due soon"),
    "overdue": _l("overdue: may not be used"),
    "not_yet_valid": _l("not yet valid"),
}


def standard_state(std: ReferenceStandard, day: dt.date | None = None) -> str:
    """``overdue`` (past its due date: unusable), ``not_yet_valid``, ``due_soon`` or ``valid`` on ``day``."""
    day = day or dt.date.today()
    if std.due_on < day:
        return "overdue"
    if std.calibrated_on > day:
        return "not_yet_valid"
    if std.due_on <= day + dt.timedelta(days=current_app.config["DUE_SOON_DAYS"]):
        return "due_soon"
    return "valid"


@bp.app_context_processor
def _inject():
    return {"standard_state": standard_state,
            "standard_state_label": lambda st: str(STANDARD_STATE_LABELS.get(st, st)),
            "standard_kind_label": lambda k: str(STANDARD_KIND_LABELS.get(k, k))}


# --- rows of values and ports ----------------------------------------------------------------------

def _rows(field_list, keys):
    """The non-blank rows of a FieldList as dicts (blank cells left out) and their entry indices."""
    rows, used = [], []
    for i, entry in enumerate(field_list.entries):
        row = {k: (entry.form[k].data or "").strip() for k in keys}
        if any(row.values()):
            rows.append({k: v for k, v in row.items() if v})
            used.append(i)
    return rows, used


def _row_errors(field_list, nested, used) -> None:
    """Put a schema's ``{row index: {key: [messages]}}`` beside the cells of the rows it names."""
    if isinstance(nested, dict):
        for idx, errs in nested.items():
            if isinstance(idx, int) and idx < len(used) and isinstance(errs, dict):
                form = field_list.entries[used[idx]].form
                for key, msgs in errs.items():
                    target = form[key] if key in form._fields else form[next(iter(form._fields))]
                    target.errors = list(target.errors) + _messages(msgs)


def _load(form, schema, body, rows_key, used):
    """Load ``body`` through ``schema``; on errors put them beside the fields and return None."""
    try:
        return schema.load(body)
    except ValidationError as exc:
        errors = dict(exc.messages)
        _row_errors(form[rows_key], errors.pop(rows_key, None), used)
        apply_errors(form, errors)
        return None


def _pad(field_list) -> None:
    """Offer ``BLANK_ROWS`` empty rows after the filled ones."""
    filled = sum(1 for e in field_list.entries if any((f.data or "") for f in e.form))
    while len(field_list.entries) < filled + BLANK_ROWS:
        field_list.append_entry()


# --- reference standards ---------------------------------------------------------------------------

VALUE_KEYS = ("nominal", "value", "U", "k", "unit")
STANDARD_FIELDS = ("name", "accuracy_class", "measuring_range", "certificate_number", "certificate_issuer")
IDENTITY_FIELDS = ("code", "kind", "manufacturer", "model", "serial_number")


@bp.route("/standards")
@require_roles(*LAB_ROLES)
def standards() -> ResponseReturnValue:
    """The lab's reference standards with their calibration state (overdue ones in red)."""
    q = select(ReferenceStandard).where(ReferenceStandard.is_deleted.is_(False)).order_by(ReferenceStandard.code)
    page = paginate(q, {"page": page_number(), "per_page": PER_PAGE})
    return render_template("lab/standards.html", page=page, today=dt.date.today())


@bp.route("/standards/<int:standard_id>")
@require_roles(*LAB_ROLES)
def standard(standard_id: int) -> ResponseReturnValue:
    std = get_or_404(ReferenceStandard, standard_id)
    benches = [b for b in db.session.execute(active_benches()).scalars() if std in b.standards]
    return render_template("lab/standard.html", std=std, benches=benches, today=dt.date.today())


def _standard_body(form, fields):
    body = {k: (form[k].data or "").strip() for k in fields}
    body.update({"calibrated_on": form.calibrated_on.data.isoformat(), "due_on": form.due_on.data.isoformat()})
    values, used = _rows(form["values"], VALUE_KEYS)
    body["values"] = values
    return body, used


def _render_standard_form(form, code=200):
    form.kind.choices = choices([("", "—")] + [(k, STANDARD_KIND_LABELS[k]) for k in STANDARD_KINDS])
    return render_template("lab/standard_form.html", form=form, std=None), code


@bp.route("/standards/new", methods=["GET", "POST"])
@require_roles("lab_manager")
def new_standard() -> ResponseReturnValue:
    """Add a reference standard with its calibration certificate (as ``POST /api/v1/standards``)."""
    form = StandardCreateForm()
    if request.method == "GET":
        return _render_standard_form(form)
    if not form.validate_on_submit():
        return _render_standard_form(form, code=400 if form.csrf_token.errors else 422)
    body, used = _standard_body(form, STANDARD_FIELDS + IDENTITY_FIELDS)
    data = _load(form, s.ReferenceStandardCreateSchema(), body, "values", used)
    if data is None:
        return _render_standard_form(form, code=422)
    std, status = run(form, lambda: ops.create_standard(data))
    if status == 409:  # the only conflict is a code already in use
        form.code.errors = list(form.code.errors) + form.form_errors
        form.form_errors = []
    if status:
        return _render_standard_form(form, code=status)
    flash(_("Reference standard %(code)s added.", code=std.code))
    return redirect(url_for("lab_pages.standard", standard_id=std.id))


@bp.route("/standards/<int:standard_id>/edit", methods=["GET", "POST"])
@require_roles("lab_manager")
def edit_standard(standard_id: int) -> ResponseReturnValue:
    """Edit a standard (e.g. after its recalibration); a form older than the record is refused."""
    std = get_or_404(ReferenceStandard, standard_id)
    if request.method == "GET":
        form = StandardEditForm(data={**{k: getattr(std, k) for k in STANDARD_FIELDS}, "version": std.version,
                                      "calibrated_on": std.calibrated_on, "due_on": std.due_on,
                                      "values": [{k: _text(v.get(k)) for k in VALUE_KEYS} for v in std.values]})
        _pad(form["values"])
        return render_template("lab/standard_form.html", form=form, std=std)
    form = StandardEditForm()
    if not form.validate_on_submit():
        return render_template("lab/standard_form.html", form=form, std=std), (
            400 if form.csrf_token.errors else 422)
    body, used = _standard_body(form, STANDARD_FIELDS)
    body["version"] = form.version.data
    data = _load(form, s.ReferenceStandardUpdateSchema(), body, "values", used)
    if data is None:
        return render_template("lab/standard_form.html", form=form, std=std), 422
    _done, status = run(form, lambda: ops.update_standard(std, data))
    if status:
        _conflict_note(form, status)
        return render_template("lab/standard_form.html", form=form, std=get_or_404(ReferenceStandard, standard_id)
                               ), status
    flash(_("Reference standard %(code)s saved.", code=std.code))
    return redirect(url_for("lab_pages.standard", standard_id=std.id))


def _conflict_note(form, status) -> None:
    """Explain a 409 on an edit form: the record moved on since the form was read."""
    if status == 409:
        form.form_errors.insert(0, _("Someone changed this record after you opened the form; nothing was saved. "
                                     "Reload the page to see the current record, then apply your change again."))


def _text(value):
    """A stored number as the text a form shows (no trailing ``.0`` lost or added)."""
    return "" if value is None else str(value)


# --- benches ---------------------------------------------------------------------------------------

PORT_KEYS = ("role", "port", "driver")


@bp.route("/benches")
@require_roles(*LAB_ROLES)
def benches() -> ResponseReturnValue:
    """Benches with their location, serial ports and the standards on them (with their due state)."""
    page = paginate(active_benches(), {"page": page_number(), "per_page": PER_PAGE})
    return render_template("lab/benches.html", page=page, today=dt.date.today())


def _all_standards():
    return db.session.execute(select(ReferenceStandard).where(ReferenceStandard.is_deleted.is_(False))
                              .order_by(ReferenceStandard.code)).scalars().all()


def _render_bench_form(form, bench, code=200):
    return render_template("lab/bench_form.html", form=form, bench=bench, standards=_all_standards(),
                           chosen=set(form.standard_ids.data or []), today=dt.date.today()), code


@bp.route("/benches/<int:bench_id>/edit", methods=["GET", "POST"])
@require_roles("lab_manager")
def edit_bench(bench_id: int) -> ResponseReturnValue:
    """Edit a bench's location, ports and standards (as ``PATCH /api/v1/benches/<id>``)."""
    bench = get_or_404(Bench, bench_id)
    if request.method == "GET":
        form = BenchEditForm(data={"name": bench.name, "location": bench.location, "version": bench.version,
                                   "ports": [{k: p.get(k, "") for k in PORT_KEYS} for p in bench.ports],
                                   "standard_ids": [st.id for st in bench.standards]})
        _pad(form["ports"])
        return _render_bench_form(form, bench)
    form = BenchEditForm()
    form.name.data = bench.name  # the name is shown, not edited here
    if not form.validate_on_submit():
        return _render_bench_form(form, bench, 400 if form.csrf_token.errors else 422)
    ports, used = _rows(form["ports"], PORT_KEYS)
    body = {"version": form.version.data, "location": (form.location.data or "").strip(), "ports": ports,
            "standard_ids": form.standard_ids.data or []}
    data = _load(form, s.BenchUpdateSchema(), body, "ports", used)
    if data is None:
        return _render_bench_form(form, bench, 422)
    _done, status = run(form, lambda: ops.update_bench(bench, data))
    if status:
        _conflict_note(form, status)
        return _render_bench_form(form, get_or_404(Bench, bench_id), status)
    flash(_("Bench %(name)s saved.", name=bench.name))
    return redirect(url_for("lab_pages.benches"))
