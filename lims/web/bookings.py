"""Bookings as a batch: cancel a booking the lab has not received, and a printable delivery note.

The delivery note lists the booked instruments with one QR label each (the job page's address), so
the lab scans each instrument as it arrives; cancelling calls
:func:`lims.modules.jobs.operations.cancel_booking`.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from lims.core.auth import check_org, login_required
from lims.core.db import get_or_404
from lims.extensions import db
from lims.modules.issuance.render import qr_rows
from lims.modules.jobs import operations as job_ops
from lims.modules.jobs.models import Job
from lims.web.common import run
from lims.web.jobs import jobs_query, render_job
from lims.web.work_forms import BookForm

bp = Blueprint("booking_pages", __name__)

MAX_NOTE = 500


class CancelForm(FlaskForm):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


def qr_svg(text: str, module: int = 3) -> Markup:
    """An inline SVG QR code of ``text`` (no script, no image request)."""

    rows = qr_rows(text)
    quiet = 4
    size = (len(rows) + 2 * quiet) * module
    path = "".join(f"M{(x + quiet) * module},{(y + quiet) * module}h{module}v{module}h-{module}z"
                   for y, row in enumerate(rows) for x, dark in enumerate(row) if dark)
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
                  f'viewBox="0 0 {size} {size}" role="img" aria-label="QR"><rect width="100%" height="100%" '
                  f'fill="#fff"/><path d="{path}" fill="#000"/></svg>')


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
    labels = {j.id: qr_svg(url_for("jobs_pages.job", job_id=j.id, _external=True)) for j in jobs}
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
