"""Customer pages: register an instrument, book a batch for verification.

Registering loads the form through the API's ``InstrumentCreateSchema`` and calls
:func:`lims.modules.equipment.operations.create_instrument` (the type's characteristics are
checked by :func:`lims.modules.equipment.rules.validate_characteristics` there). Booking calls
:func:`lims.modules.jobs.operations.book_job` for each ticked instrument with the checks of
``POST /api/v1/jobs/batch``: all or none.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lims.core.auth import login_required, require_roles
from lims.core.db import contains
from lims.core.http import DomainValidationError
from lims.extensions import db
from lims.modules.equipment import operations as eq_ops
from lims.modules.equipment.models import STATUSES, Instrument, InstrumentType
from lims.modules.equipment.queries import instruments_for
from lims.modules.equipment.schemas import InstrumentCreateSchema
from lims.modules.jobs import operations as job_ops
from lims.modules.organisations.models import Organisation
from lims.modules.users.models import CUSTOMER_ROLES
from lims.web.common import apply_errors, run
from lims.web.views import open_jobs_of, render_instruments
from lims.web.work_forms import BookForm, choices, register_form_for

bp = Blueprint("register_pages", __name__)

MAX_BATCH = 500  # as BatchCreateSchema


def _characteristics(itype, form):
    """Read the characteristic fields; returns ``(values, {field: [messages]})`` for unreadable numbers."""
    values, bad = eq_ops.read_characteristics(itype, lambda key: form[f"char_{key}"].data)
    return values, {f"char_{key}": [_("not a number")] for key, _raw in bad}


@bp.route("/instruments/new", methods=["GET", "POST"])
@require_roles(*CUSTOMER_ROLES)
def register() -> ResponseReturnValue:
    """Register an instrument: choose its type, then fill in identity and characteristics."""
    types = db.session.execute(select(InstrumentType).order_by(InstrumentType.code)).scalars().all()
    code = request.values.get("type_code") or request.values.get("type") or ""
    itype = next((t for t in types if t.code == code), None)
    if itype is None:
        return render_template("work/register.html", types=types, itype=None, form=None,
                               unknown=bool(code)), (422 if code else 200)
    form = register_form_for(itype, str(get_locale()))(type_code=itype.code)
    if current_user.role == "admin":
        orgs = db.session.execute(select(Organisation).where(Organisation.kind != "lab").order_by(Organisation.name)
                                  ).scalars().all()
        form.owner_id.choices = choices([(0, "—")] + [(o.id, o.name) for o in orgs])
    if request.method == "GET" or not form.validate_on_submit():
        refused = 400 if form.csrf_token.errors else 422
        return render_template("work/register.html", types=types, itype=itype, form=form), (
            refused if request.method == "POST" else 200)
    inst, status = _create(itype, form)
    if status:
        return render_template("work/register.html", types=types, itype=itype, form=form), status
    flash(_("Instrument %(serial)s registered.", serial=inst.serial_number))
    return redirect(url_for("pages.instrument", instrument_id=inst.id))


def _create(itype, form):
    chars, errors = _characteristics(itype, form)
    if errors:
        apply_errors(form, errors)
        return None, 422
    body = {"type_code": itype.code, "manufacturer": form.manufacturer.data, "model": form.model.data,
            "serial_number": form.serial_number.data, "location": form.location.data or "", "characteristics": chars}
    try:
        owner = eq_ops.owner_for_new_instrument(current_user, form.owner_id.data or None)
    except DomainValidationError as exc:
        apply_errors(form, exc.errors)
        return None, 422

    def _do():
        try:
            return eq_ops.create_instrument(InstrumentCreateSchema().load(body), owner)
        except DomainValidationError as exc:  # characteristics: {key: [messages]} -> beside each field
            errors = dict(exc.errors)
            nested = errors.pop("characteristics", {})
            errors.update({f"char_{k}": v for k, v in nested.items()} if isinstance(nested, dict)
                          else {"_schema": nested})
            raise DomainValidationError(errors) from exc

    inst, status = run(form, _do)
    if status == 409:  # the only conflict is an identity already registered
        form.serial_number.errors = list(form.serial_number.errors) + form.form_errors
        form.form_errors = []
    return inst, status


@bp.route("/instruments/book", methods=["POST"])
@login_required
def book() -> ResponseReturnValue:
    """Book the ticked instruments for verification: all or none (as ``POST /api/v1/jobs/batch``)."""

    form = BookForm()
    raw = request.form.getlist("instrument_ids")
    if request.form.get("all_matching") == "1":  # every instrument matching the register's filter, all pages
        raw = [str(i) for i in _matching_ids()]
    ids = [int(v) for v in raw if v.isdigit() and len(v) <= 9]
    if not form.validate_on_submit():
        return render_instruments(book_form=form, code=400 if form.csrf_token.errors else 422, selected=ids)
    if not raw:
        form.form_errors.append(_("Tick the instruments to book."))
    elif len(ids) != len(raw) or len(set(ids)) != len(ids) or len(ids) > MAX_BATCH:
        form.form_errors.append(_("The selection is not a list of instruments (at most %(n)d).", n=MAX_BATCH))
    if form.form_errors:
        return render_instruments(book_form=form, code=422, selected=ids)

    def _book():
        return job_ops.book_batch(current_user, ids, booked_for=form.booked_for.data,
                                  notes=(form.notes.data or "").strip())

    jobs, status = run(form, _book)
    if status:
        _name_by_serial(form, ids)
        return render_instruments(book_form=form, code=status, selected=ids)
    flash(_("%(n)d instruments booked for verification.", n=len(jobs)))
    batches = {b.id for b in map(job_ops.batch_of, jobs) if b is not None}
    if len(batches) == 1:  # one organisation's batch: its delivery note, to print and hand over
        return redirect(url_for("booking_pages.batch", batch_id=batches.pop()))
    return redirect(url_for("booking_pages.batches"))


def _name_by_serial(form, ids) -> None:
    """After a refused batch, say which ticked instruments are already booked or withdrawn, by serial number.

    ``book_batch`` refused the whole batch (all or none); this only explains it in the words people use.
    """

    open_jobs = open_jobs_of(ids)
    rows = db.session.execute(select(Instrument).where(Instrument.id.in_(ids))).scalars().all()
    booked = sorted(i.serial_number for i in rows if i.id in open_jobs)
    withdrawn = sorted(i.serial_number for i in rows if i.is_withdrawn)
    notes = []
    if booked:
        notes.append(_("Already booked (an open job exists): %(serials)s. Untick them and book again.",
                       serials=", ".join(booked)))
    if withdrawn:
        notes.append(_("Withdrawn from use, cannot be booked: %(serials)s.", serials=", ".join(withdrawn)))
    if notes:
        form.form_errors[:] = notes


def _matching_ids():
    """The ids of the instruments the register's filter (sent with the form) shows, on every page."""

    args = {}
    status = request.form.get("filter_status")
    if status in STATUSES:
        args["status"] = status
    q = (request.form.get("filter_q") or "").strip()[:120]
    if q:
        args["q"] = q
    query = instruments_for(current_user, args).with_only_columns(Instrument.id)
    location = (request.form.get("filter_location") or "").strip()[:120]
    if location:
        query = query.where(contains(Instrument.location, location))
    return db.session.execute(query.limit(MAX_BATCH + 1)).scalars().all()
