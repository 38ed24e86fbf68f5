"""Job pages: the work list, one job with its history and the steps the user may take now.

Every step calls :func:`lims.modules.jobs.operations.transition` (the state machine, the
four-eyes rule, the standards' due dates) and issuing calls
:func:`lims.modules.issuance.operations.issue_certificate`, exactly as the API does.
"""
import datetime as dt
import json
import shlex
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lims.core.auth import check_org, login_required, require_roles
from lims.core.db import contains, get_or_404
from lims.core.http import Conflict
from lims.core.schemas import paginate
from lims.extensions import db
from lims.modules.equipment.models import Instrument
from lims.modules.equipment.queries import active_benches
from lims.modules.issuance import operations as issue_ops
from lims.modules.issuance.models import Certificate
from lims.modules.issuance.schemas import IssueSchema
from lims.modules.jobs import operations as ops
from lims.modules.jobs.models import STATES, TRANSITIONS, Job
from lims.modules.measurements import operations as m_ops
from lims.modules.measurements.models import MeasurementSession, Reading
from lims.modules.measurements.operations import ports_for_job
from lims.modules.procedures import operations as proc_ops
from lims.modules.procedures.definitions import PlanError
from lims.modules.procedures.schemas import ResultEntrySchema
from lims.modules.users.models import LAB_ROLES, User
from lims.web.common import PER_PAGE, page_number, run, template_globals
from lims.web.labels import JOB_STATE_LABELS
from lims.web.work_forms import IssueForm, TransitionForm, choices, lines

bp = Blueprint("jobs_pages", __name__)


VERIFICATION_KIND_LABELS = {"initial": _l("initial verification"), "subsequent": _l("subsequent verification"),
                            "in_service": _l("in-service inspection")}


class PointForm(FlaskForm):
    """One test point's indication (scales: the flash-point ΔL and the zero error E0 as well)."""

    point = HiddenField(validators=[InputRequired(), Length(max=64)])
    indication = StringField(_l("Indication"), validators=[InputRequired(), Length(max=40)])
    flash_delta = StringField(_l("ΔL"), validators=[Optional(), Length(max=40)])
    zero_error = StringField(_l("E0"), validators=[Optional(), Length(max=40)])


class PickForm(FlaskForm):
    """One click on a stored reading: it becomes the chosen test point's indication."""

    point = StringField(_l("Test point"), validators=[InputRequired(), Length(max=64)])
    session_id = IntegerField(_l("Session"), validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    sequence = IntegerField(_l("Reading"), validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


class JustifyForm(FlaskForm):
    """The lab manager's justification of a point whose U/MPE exceeds 1/3 (or which has no budget)."""

    point = HiddenField(validators=[InputRequired(), Length(max=64)])
    justification = StringField(_l("Justification"), validators=[InputRequired(), Length(max=2000)])


# column prefix of each step in a job's history -> the state it led to
HISTORY = (("booked", "booked"), ("received", "received"), ("started", "in_progress"),
           ("submitted", "awaiting_approval"), ("decided", None), ("returned", "returned"))


def history(job: Job) -> list[tuple[str, str, int | None, dt.datetime]]:
    """``[(prefix, label, user id, when)]`` of the steps done so far, in workflow order."""

    rows = []
    for prefix, state in HISTORY:
        when = getattr(job, f"{prefix}_dt")
        if when is None:
            continue
        if state is None:  # approve or reject: the state says which when it is still the current one
            label = JOB_STATE_LABELS[job.state] if job.state in ("approved", "rejected") else _("approved or rejected")
        else:
            label = JOB_STATE_LABELS[state]
        rows.append((prefix, str(label), getattr(job, f"{prefix}_by_id"), when))
    return rows


@bp.app_context_processor
def _inject():
    return template_globals()


def jobs_query(user: User, state: str | None = None, q: str | None = None) -> Select[Job]:
    """The jobs ``user`` may see (as ``GET /api/v1/jobs``), newest first, filtered."""
    query = ops.jobs_for(user).order_by(Job.id.desc())
    if state:
        query = query.where(Job.state == state)
    if q:
        query = query.where(contains(Instrument.serial_number, q))
    return query


@bp.route("/jobs")
@login_required
def jobs() -> ResponseReturnValue:
    """Lab staff: the work list. Customers: their organisation's bookings."""
    state = request.args.get("state")
    state = state if state in STATES else None
    q = (request.args.get("q") or "").strip()[:120]
    page = paginate(jobs_query(current_user, state, q), {"page": page_number(), "per_page": PER_PAGE})
    return render_template("work/jobs.html", page=page, states=STATES, state=state, q=q)


def _sessions(job):
    """The job's measurement sessions with a summary of their readings (lab staff only)."""

    sessions = db.session.execute(m_ops.sessions_query(job_id=job.id)).scalars().all()
    stats = {}
    if sessions:
        rows = db.session.execute(
            select(Reading.session_id, Reading.unit, func.count(), func.min(Reading.value), func.max(Reading.value),
                   func.avg(Reading.value))
            .where(Reading.session_id.in_([s.id for s in sessions]))
            .group_by(Reading.session_id, Reading.unit)).all()
        for sid, unit, n, lo, hi, mean in rows:
            stats.setdefault(sid, []).append({"unit": unit, "n": n, "min": lo, "max": hi, "mean": mean})
    return sessions, stats


def _last_reading_id(sessions):
    """The id of the newest stored reading of these sessions (0: none): live readings start after it."""

    if not sessions:
        return 0
    return db.session.execute(select(func.max(Reading.id)).where(
        Reading.session_id.in_([s.id for s in sessions]))).scalar() or 0


RECENT_READINGS = 20


def _recent_readings(sessions):
    """The newest stored readings of these sessions (newest first), listed with a one-click pick each."""

    if not sessions:
        return []
    return db.session.execute(select(Reading).where(Reading.session_id.in_([s.id for s in sessions]))
                              .order_by(Reading.id.desc()).limit(RECENT_READINGS)).scalars().all()


def _pick_points(procedure):
    """``(points a single reading can fill, the one to preselect)``: points taking one indication; the
    first of them without a result is preselected (the technician works down the list)."""
    if not procedure:
        return [], None
    points = [pt for pt in procedure["points"] if pt["test"] not in proc_ops.MULTI]
    todo = [pt["point"] for pt in points if pt["result"] is None]
    return points, (todo[0] if todo else points[0]["point"] if points else None)


def _bench_commands(job):
    """The ``lims bench run`` commands to print, one per bench port fitting the instrument's type.

    Each is quoted for a POSIX shell (a pyserial URL may hold ``&`` or ``?``), so it runs exactly as printed.
    """


    if not (current_user.is_lab_staff and job.state == "in_progress" and job.bench):
        return []
    return [shlex.join(["lims", "bench", "run", "--job", str(job.id), "--port", str(p.get("port")),
                        "--driver", str(p.get("driver")), "--user", current_user.username, "--count", "10",
                        "--stable"]) for p in ports_for_job(job)]


def _forms(job, actions, bad=None):
    benches = db.session.execute(active_benches()).scalars().all()
    forms = {}
    for action in actions:
        form = bad if bad is not None and bad._prefix == f"{action}-" else TransitionForm(prefix=action,
                                                                                          formdata=None)
        form.version.data = job.version
        form.bench_id.choices = choices([(b.id, b.name) for b in benches])
        if action == "start" and job.bench_id and form.bench_id.data is None:
            form.bench_id.data = job.bench_id
        forms[action] = form
    return forms


def _procedure(job, bad_point=None):
    """The job's plan with results, and a form per point for lab staff while the job is in progress."""

    try:
        view = proc_ops.procedure_view(job)
    except Conflict:
        return None, {}
    forms = {}
    if current_user.is_lab_staff and job.state == "in_progress":
        for pt in view["points"]:
            if bad_point is not None and bad_point.point.data == pt["point"]:
                forms[pt["point"]] = bad_point
                continue
            form = PointForm(formdata=None, prefix=f"p{len(forms)}")
            form.point.data = pt["point"]
            forms[pt["point"]] = form
    return view, forms


def render_job(job: Job, bad_form: FlaskForm | None = None, issue_form: FlaskForm | None = None, code: int = 200,
               bad_point: FlaskForm | None = None, justify_errors: list[str] | None = None,
               pick_form: FlaskForm | None = None) -> tuple[str, int]:
    """Render the job page; ``bad_form``/``issue_form``/``bad_point``/``pick_form`` carry messages of a refused
    step."""
    procedure, point_forms = _procedure(job, bad_point)
    actions = ops.allowed_actions(job, current_user)
    certificate = issue_ops.current_certificate(job)
    # four-eyes: the operations layer says whether this user did work on the job (pages only ask it)
    did_work = current_user.is_lab_staff and ops.four_eyes_problem(job, current_user) is not None
    can_issue = (current_user.role in ("lab_manager", "admin") and job.state == "approved" and certificate is None
                 and not did_work)
    four_eyes = job.state == "awaiting_approval" and did_work and current_user.role in ("lab_manager", "admin")
    sessions, stats = _sessions(job) if current_user.is_lab_staff else ([], {})
    certs = db.session.execute(select(Certificate).where(Certificate.job_id == job.id).order_by(Certificate.id)
                               ).scalars().all()
    orphan = []
    if bad_form is not None and bad_form._prefix[:-1] not in actions:  # the step is no longer offered
        orphan = list(bad_form.form_errors) + [m for f in bad_form for m in f.errors]
    return render_template("work/job.html", job=job, history=history(job), today=dt.date.today(),
                           batch=ops.batch_of(job),
                           forms=_forms(job, actions, bad_form), orphan_errors=orphan, can_issue=can_issue,
                           issue_form=issue_form or IssueForm(formdata=None),
                           four_eyes=four_eyes, sessions=sessions, stats=stats, certs=certs,
                           bench_commands=_bench_commands(job), last_reading_id=_last_reading_id(sessions),
                           recent_readings=_recent_readings(sessions) if job.state == "in_progress" else [],
                           pick_points=_pick_points(procedure if job.state == "in_progress" else None),
                           pick_form=pick_form,
                           procedure=procedure, point_forms=point_forms, justify_errors=justify_errors,
                           justify_form=JustifyForm(formdata=None) if current_user.role in ("lab_manager", "admin")
                           else None,
                           verification_kind_label=lambda k: VERIFICATION_KIND_LABELS.get(k, k)), code


def _readable_job(job_id):
    job = get_or_404(Job, job_id)
    check_org(current_user, job.instrument.owner_id)
    return job


@bp.route("/jobs/<int:job_id>")
@login_required
def job(job_id: int) -> ResponseReturnValue:
    return render_job(_readable_job(job_id))


@bp.route("/jobs/<int:job_id>/readings/stream")
@require_roles(*LAB_ROLES)
def readings_stream(job_id: int) -> ResponseReturnValue:
    """Server-sent events: every reading of the job's sessions stored after ``Last-Event-ID`` (the reading id).

    The stream polls the database once a second for ``LIMS_READINGS_STREAM_SECONDS`` (config
    ``READINGS_STREAM_SECONDS``, default 30) and ends; the browser's EventSource reconnects with the last id.
    """



    job = get_or_404(Job, job_id)
    raw_last = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    last = int(raw_last) if raw_last.isdigit() and len(raw_last) < 12 else 0
    seconds = float(current_app.config.get("READINGS_STREAM_SECONDS", 30))
    query = (select(Reading).join(MeasurementSession, MeasurementSession.id == Reading.session_id)
             .where(MeasurementSession.job_id == job.id).order_by(Reading.id))

    def events(last):
        yield "retry: 2000\n\n"
        deadline = time.monotonic() + seconds
        while True:
            for r in db.session.execute(query.where(Reading.id > last).limit(500)).scalars():
                last = r.id
                data = {"session": r.session_id, "sequence": r.sequence, "value": r.value, "unit": r.unit,
                        "stable": r.is_stable, "test_point": r.test_point}
                yield f"id: {r.id}\nevent: reading\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            db.session.rollback()  # end the snapshot: the next poll sees readings committed since
            if time.monotonic() >= deadline:
                return
            time.sleep(1.0)

    return Response(stream_with_context(events(last)), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.route("/jobs/<int:job_id>/steps/<action>", methods=["POST"])
@login_required
def step(job_id: int, action: str) -> ResponseReturnValue:
    """Take one step of the workflow (the same checks as ``POST /api/v1/jobs/<id>/transitions``)."""
    if action not in TRANSITIONS:
        abort(404)
    job = _readable_job(job_id)
    if not ops.role_may(current_user, action):
        abort(403, description=_("Your role may not do this step."))
    form = TransitionForm(prefix=action)
    form.bench_id.choices = []
    if not form.validate_on_submit():
        return render_job(job, bad_form=form, code=400 if form.csrf_token.errors else 422)
    data = {"version": form.version.data}
    if action == "start" and form.bench_id.data:
        data["bench_id"] = form.bench_id.data
    if action == "submit":
        data.update(result=form.result.data or None, performed_on=form.performed_on.data)
        data = {k: v for k, v in data.items() if v is not None}
    if form.notes.data and form.notes.data.strip():
        data["notes"] = form.notes.data.strip()
    # the notes typed with a fail are its stated reason (jobs.operations), so a missing reason shows beside them
    _done, status = run(form, lambda: ops.transition(job, action, current_user, data), field_map={"reason": "notes"})
    if status:
        return render_job(get_or_404(Job, job_id), bad_form=form, code=status)
    flash(_("Job %(id)d: %(state)s.", id=job.id, state=template_globals()["job_state_label"](job.state)))
    return redirect(url_for("jobs_pages.job", job_id=job.id))


@bp.route("/jobs/<int:job_id>/points", methods=["POST"])
@require_roles(*LAB_ROLES)
def point(job_id: int) -> ResponseReturnValue:
    """Enter one test point's indication (as ``POST /api/v1/jobs/<id>/results``)."""
    job = get_or_404(Job, job_id)
    prefix = request.form.get("prefix", "")
    form = PointForm(prefix=prefix if prefix.startswith("p") and prefix[1:].isdigit() else "p0")
    if not form.validate_on_submit():
        return render_job(job, bad_point=form, code=400 if form.csrf_token.errors else 422)
    text = form.indication.data.strip()
    data = {"point": form.point.data, "indication": text}
    try:
        planned = proc_ops.job_plan(job)
    except PlanError:  # enter_result refuses it with its message
        planned = None
    pt = planned.point(form.point.data) if planned is not None else None
    if pt is not None and pt.test in proc_ops.MULTI:  # repeatability, eccentricity: several values in one field
        data = {"point": form.point.data, "indications": text.replace(";", " ").replace(",", " ").split()}
    for key in ("flash_delta", "zero_error"):
        if (getattr(form, key).data or "").strip():
            data[key] = getattr(form, key).data.strip()
    row, status = run(form, lambda: proc_ops.enter_result(job, current_user, ResultEntrySchema().load(data)),
                      field_map={"indications": "indication"})
    if status:
        return render_job(get_or_404(Job, job_id), bad_point=form, code=status)
    flash(_("Test point %(point)s: error %(error)s, %(verdict)s.", point=row.point, error=row.corrected_error,
            verdict=template_globals()["result_label"](row.verdict)))
    return redirect(url_for("jobs_pages.job", job_id=job.id) + "#test-points")


@bp.route("/jobs/<int:job_id>/points/pick", methods=["POST"])
@require_roles(*LAB_ROLES)
def pick(job_id: int) -> ResponseReturnValue:
    """One click on a stored reading: it becomes a test point's indication, stored with its session and
    sequence number (``POST /api/v1/jobs/<id>/results`` with ``session_id`` and ``sequences``), audited."""
    job = get_or_404(Job, job_id)
    form = PickForm(prefix="pick")
    if not form.validate_on_submit():
        return render_job(job, pick_form=form, code=400 if form.csrf_token.errors else 422)
    data = {"point": form.point.data, "session_id": form.session_id.data, "sequences": [form.sequence.data]}
    row, status = run(form, lambda: proc_ops.enter_result(job, current_user, ResultEntrySchema().load(data)),
                      field_map={"sequences": "sequence", "indications": "point", "indication": "point"})
    if status:
        return render_job(get_or_404(Job, job_id), pick_form=form, code=status)
    flash(_("Test point %(point)s: indication %(value)s from reading %(seq)d of session %(session)d; error "
            "%(error)s, %(verdict)s.", point=row.point, value=row.indication, seq=form.sequence.data,
            session=form.session_id.data, error=row.corrected_error,
            verdict=template_globals()["result_label"](row.verdict)))
    return redirect(url_for("jobs_pages.job", job_id=job.id) + "#test-points")


@bp.route("/jobs/<int:job_id>/certificate", methods=["POST"])
@require_roles("lab_manager")
def issue(job_id: int) -> ResponseReturnValue:
    """Issue the certificate of an approved job (as ``POST /api/v1/jobs/<id>/certificate``)."""
    job = get_or_404(Job, job_id)
    form = IssueForm()
    if not form.validate_on_submit():
        return render_job(job, issue_form=form, code=422)
    options = {}
    remarks = lines(form.remarks.data)
    if remarks:
        options["remarks"] = remarks

    def _issue():
        return issue_ops.issue_certificate(job, current_user, IssueSchema().load(options))

    cert, status = run(form, _issue)
    if status:
        return render_job(get_or_404(Job, job_id), issue_form=form, code=status)
    flash(_("Certificate %(number)s issued.", number=cert.number))
    return redirect(url_for("cert_pages.certificate", cert_id=cert.id))


@bp.route("/jobs/<int:job_id>/points/justify", methods=["POST"])
@require_roles("lab_manager")
def justify(job_id: int) -> ResponseReturnValue:
    """Record why a flagged point's uncertainty is acceptable (as ``POST /api/v1/jobs/<id>/results/justification``)."""
    job = _readable_job(job_id)
    form = JustifyForm()
    if not form.validate_on_submit():
        msgs = [m for f in form for m in f.errors] or [_("The form expired; reload the page and try again.")]
        return render_job(job, justify_errors=msgs, code=400 if form.csrf_token.errors else 422)
    _row, status = run(form, lambda: proc_ops.justify(job, current_user, form.point.data, form.justification.data))
    if status:
        msgs = list(form.form_errors) + [m for f in form for m in f.errors]
        return render_job(get_or_404(Job, job_id), justify_errors=msgs, code=status)
    flash(_("Justification recorded for %(point)s.", point=form.point.data))
    return redirect(url_for("jobs_pages.job", job_id=job.id) + "#budget-flags")
