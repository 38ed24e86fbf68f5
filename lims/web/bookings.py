"""Bookings as a batch: the batch pages (a printable delivery note with the batch's QR code and a QR
label per instrument; the lab scans the batch's code and receives every instrument at once), cancelling
a booking or a whole batch, and the older list of every booked instrument.

QR codes are PNG images drawn by the app (:func:`lims.modules.issuance.render.qr_png`), inlined as
``data:`` addresses so a printed note needs no further request. Every change calls
:mod:`lims.modules.jobs.operations` (``receive_batch``, ``cancel_batch``, ``cancel_booking``).
"""
import base64

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from lims.core.auth import check_org, login_required
from lims.core.db import get_or_404
from lims.core.schemas import paginate
from lims.extensions import db
from lims.modules.issuance.render import qr_png
from lims.modules.jobs import operations as job_ops
from lims.modules.jobs.models import BATCH_STATES, Batch, Job
from lims.web.common import PER_PAGE, page_number, run
from lims.web.jobs import jobs_query, render_job
from lims.web.messages import translate
from lims.web.work_forms import BookForm

bp = Blueprint("booking_pages", __name__)

MAX_NOTE = 500


class CancelForm(FlaskForm):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


class VersionForm(FlaskForm):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


class ScanForm(FlaskForm):
    code = StringField(_l("Batch number (scan the delivery note's code or type it)"),
                       validators=[DataRequired(), Length(max=200)])
    open = SubmitField(_l("Open the batch"))
    receive = SubmitField(_l("Receive the whole batch"))


def qr_img(text: str, alt: str, module: int = 3) -> Markup:
    """An ``<img>`` of a QR code of ``text``, drawn by the app as a PNG and inlined (no extra request)."""

    data = base64.b64encode(qr_png(text, module=module)).decode("ascii")
    return Markup(f'<img class="qr" src="data:image/png;base64,{data}" alt="{escape(alt)}">')


def job_label(job_id: int, serial: str) -> Markup:
    """The QR label of a booked instrument on a delivery note: its job page's address."""
    return qr_img(url_for("jobs_pages.job", job_id=job_id, _external=True),
                  _("QR code of the job of %(serial)s", serial=serial))


@bp.route("/jobs/<int:job_id>/cancel", methods=["POST"])
@login_required
def cancel(job_id: int) -> ResponseReturnValue:
    """Cancel a booking not yet received (customers: their own organisation's)."""

    job = get_or_404(Job, job_id)
    check_org(current_user, job.instrument.owner_id)
    form = CancelForm(prefix="cancel")
    if not form.validate_on_submit():
        return render_job(job, code=400 if form.csrf_token.errors else 422)
    serial = job.instrument.serial_number
    _done, code = run(form, lambda: job_ops.cancel_booking(job, current_user, form.version.data))
    if code:
        flash(form.form_errors[0] if form.form_errors else _("The booking could not be cancelled."))
        return redirect(url_for("jobs_pages.job", job_id=job_id))
    flash(_("Booking of %(serial)s cancelled.", serial=serial))
    return redirect(url_for("jobs_pages.jobs"))


@bp.route("/bookings/delivery-note")
@login_required
def delivery_note() -> ResponseReturnValue:
    """Printable list of the booked instruments (ticked ones, or all booked) with a QR label each."""
    raw = request.args.getlist("ids")
    ids = [int(v) for v in raw if v.isdigit() and len(v) <= 9][:MAX_NOTE]
    q = job_ops.jobs_for(current_user).where(Job.state == "booked").order_by(Job.id)
    if ids:
        q = q.where(Job.id.in_(ids))
    jobs = db.session.execute(q.limit(MAX_NOTE)).scalars().all()
    labels = {j.id: job_label(j.id, j.instrument.serial_number) for j in jobs}
    return render_template("work/delivery_note.html", jobs=jobs, labels=labels)


@bp.route("/jobs/receive", methods=["POST"])
@login_required
def receive_batch() -> ResponseReturnValue:
    """The lab receives every ticked booked job at once (all or none), e.g. a delivery note's instruments."""

    if not job_ops.role_may(current_user, "receive"):
        abort(403)
    form = BookForm()  # only its CSRF token is used
    raw = request.form.getlist("job_ids")
    ids = [int(v) for v in raw if v.isdigit() and len(v) <= 9][:MAX_NOTE]
    if not form.validate_on_submit() or not ids or len(ids) != len(raw):
        flash(_("Tick the booked jobs to receive."))
        return redirect(url_for("jobs_pages.jobs", state="booked"))
    jobs = db.session.execute(jobs_query(current_user).where(Job.id.in_(ids))).scalars().all()

    def _receive():
        for job in jobs:
            job_ops.transition(job, "receive", current_user, {"version": job.version})
        return len(jobs)

    n, code = run(form, _receive)
    if code:
        serials = ", ".join(sorted(j.instrument.serial_number for j in jobs if j.state != "booked"))
        if serials:
            flash(_("Nothing was received: these are not waiting to be received: %(serials)s", serials=serials))
        else:
            flash(_("Nothing was received: %(why)s", why="; ".join(form.form_errors)))
        return redirect(url_for("jobs_pages.jobs", state="booked"))
    flash(_("%(n)d instruments received.", n=n))
    return redirect(url_for("jobs_pages.jobs", state="received"))


# --- batches ----------------------------------------------------------------------------------------

def batch_state_label(state: str) -> str:
    return {"booked": _("booked"), "received": _("received"), "cancelled": _("cancelled")}.get(state, state)


@bp.app_context_processor
def _inject():
    return {"batch_state_label": batch_state_label}


def _readable_batch(batch_id):
    batch = get_or_404(Batch, batch_id)
    check_org(current_user, batch.organisation_id)
    return batch


def render_batches(scan_form: FlaskForm | None = None, code: int = 200) -> tuple[str, int]:
    """The batches list (customers: their organisation's); lab staff get the scan form on top."""
    state = request.args.get("state")
    state = state if state in BATCH_STATES else None
    q = job_ops.batches_for(current_user)
    if state:
        q = q.where(Batch.state == state)
    page = paginate(q.order_by(Batch.id.desc()), {"page": page_number(), "per_page": PER_PAGE})
    may_receive = job_ops.role_may(current_user, "receive")
    return render_template("work/batches.html", page=page, state=state, states=BATCH_STATES,
                           scan_form=(scan_form or ScanForm(formdata=None)) if may_receive else None), code


@bp.route("/batches")
@login_required
def batches() -> ResponseReturnValue:
    return render_batches()


def render_batch(batch: Batch, form: FlaskForm | None = None, code: int = 200) -> tuple[str, int]:
    """The batch page: a printable delivery note with the batch's code, a QR label per instrument, and
    the buttons the operations allow now (the lab: receive it all; the owner and the lab: cancel it)."""
    url = url_for("booking_pages.batch", batch_id=batch.id, _external=True)
    code_img = qr_img(url, _("QR code of batch %(number)s", number=batch.number), module=4)
    labels = {item.instrument_id: job_label(item.job_id, item.instrument.serial_number)
              for item in batch.items if item.job_id is not None}
    may_receive = batch.state == "booked" and job_ops.role_may(current_user, "receive")
    may_cancel = batch.state == "booked" and (current_user.is_lab_staff or current_user.role == "admin"
                                              or batch.organisation_id == current_user.organisation_id)
    cancel_elsewhere = job_ops.batch_cancel_problem(batch) if may_cancel else None
    return render_template("work/batch.html", batch=batch, code_img=code_img, labels=labels,
                           may_receive=may_receive, may_cancel=may_cancel and not cancel_elsewhere,
                           cancel_elsewhere=translate(cancel_elsewhere) if cancel_elsewhere else None,
                           form=form), code


@bp.route("/batches/<int:batch_id>")
@login_required
def batch(batch_id: int) -> ResponseReturnValue:
    return render_batch(_readable_batch(batch_id))


def _batch_step(batch_id, operation, done):
    batch = _readable_batch(batch_id)
    form = VersionForm()
    if not form.validate_on_submit():
        if not form.csrf_token.errors:
            form.form_errors.append(_("Reload the page and try again."))
        return render_batch(batch, form, 400 if form.csrf_token.errors else 422)
    number = batch.number
    _result, code = run(form, lambda: operation(batch, current_user, form.version.data))
    if code:
        return render_batch(db.session.get(Batch, batch_id), form, code)
    flash(done(number))
    return redirect(url_for("booking_pages.batch", batch_id=batch_id))


@bp.route("/batches/<int:batch_id>/receive", methods=["POST"])
@login_required
def batch_receive(batch_id: int) -> ResponseReturnValue:
    """The lab receives every instrument of the batch at once (one transaction, each job audited)."""
    if not job_ops.role_may(current_user, "receive"):
        abort(403)
    return _batch_step(batch_id, job_ops.receive_batch, lambda n: _("Batch %(number)s received.", number=n))


@bp.route("/batches/<int:batch_id>/cancel", methods=["POST"])
@login_required
def batch_cancel(batch_id: int) -> ResponseReturnValue:
    """Cancel the booking of the whole batch (before the lab receives it)."""
    return _batch_step(batch_id, job_ops.cancel_batch, lambda n: _("Batch %(number)s cancelled.", number=n))


@bp.route("/batches/scan", methods=["POST"])
@login_required
def batch_scan() -> ResponseReturnValue:
    """The lab scans (or types) a batch's code: open the batch, or receive all of it at once."""
    if not job_ops.role_may(current_user, "receive"):
        abort(403)
    form = ScanForm()
    if not form.validate_on_submit():
        return render_batches(form, 400 if form.csrf_token.errors else 422)
    batch = job_ops.find_batch(form.code.data)
    if batch is None:
        form.code.errors = [_("No batch has this number; check the delivery note (a number like B-000042).")]
        return render_batches(form, 422)
    if not form.receive.data:
        return redirect(url_for("booking_pages.batch", batch_id=batch.id))
    number = batch.number
    _result, code = run(form, lambda: job_ops.receive_batch(batch, current_user, batch.version))
    if code:
        form.code.errors = list(form.form_errors)
        form.form_errors = []
        return render_batches(form, code)
    flash(_("Batch %(number)s received.", number=number))
    return redirect(url_for("booking_pages.batch", batch_id=batch.id))
