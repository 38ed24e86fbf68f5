"""Campaign pages: dashboards per role, campaigns and their calendar, visits, bench capacity and
bookings, recall lists (page, CSV, iCalendar), coverage and the public coverage page.

Every change calls :mod:`lims.modules.campaigns.operations`, exactly as the API does.
"""
import datetime as dt
import json
import time
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lims.core.auth import check_org, login_required, require_roles, sees_all_organisations
from lims.core.db import get_or_404
from lims.core.http import Conflict
from lims.extensions import db
from lims.modules.campaigns import background, feeds, queries
from lims.modules.campaigns import operations as ops
from lims.modules.campaigns.models import CAPACITY_KINDS, Booking, Campaign, Crew, Holiday, Site, TypeMinutes, Visit
from lims.modules.equipment.models import Instrument, InstrumentType
from lims.modules.issuance.models import Certificate
from lims.modules.jobs.models import Job
from lims.modules.organisations.models import Organisation
from lims.web.common import run, template_globals
from lims.web.messages import translate
from lims.web.work_forms import choices

bp = Blueprint("campaign_pages", __name__)
PUBLIC_TTL = 300


@bp.app_context_processor
def _inject():
    return template_globals()


def type_name(itype: InstrumentType) -> str:
    return itype.name_zh if str(get_locale()) == "zh" else itype.name_en


# ---------------------------------------------------------------- forms

class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    start_on = DateField(_l("From"), validators=[InputRequired()])
    end_on = DateField(_l("To"), validators=[InputRequired()])
    target_percent = IntegerField(_l("Coverage target (%)"), default=85,
                                  validators=[InputRequired(), NumberRange(min=1, max=100)])
    go = SubmitField(_l("Create campaign"))


class PlanUploadForm(FlaskForm):
    plan = FileField(_l("Plan file (lims-plan/1 JSON)"))
    go = SubmitField(_l("Import plan"))


class SolveForm(FlaskForm):
    go = SubmitField(_l("Plan this campaign"))


class VisitMoveForm(FlaskForm):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    day = DateField(_l("Day"), validators=[Optional()])
    crew_id = SelectField(_l("Crew"), coerce=int, validate_choice=False, validators=[Optional()])
    go = SubmitField(_l("Move visit"))


class VersionForm(FlaskForm):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    day = DateField(_l("Day"), validators=[Optional()])
    go = SubmitField()


class BookingForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    go = SubmitField(_l("Book into this day"))


# ---------------------------------------------------------------- dashboards

@bp.route("/dashboard")
@login_required
def dashboard() -> ResponseReturnValue:
    """The signed-in user's dashboard: market manager, equipment officer or lab."""
    today = ops.today()
    start, end = queries.period_of(today)
    ctx = {"today": today, "start": start, "end": end, "type_name": type_name}
    if sees_all_organisations(current_user):
        chosen = request.args.get("campaign_id", type=int)
        campaign = db.session.get(Campaign, chosen) if chosen else queries.current_campaign(today)
        ctx["campaign"] = campaign
        if campaign is not None:
            ctx["days"], ctx["crews"], ctx["cells"] = queries.calendar(campaign.id, current_user)
        ctx["capacity"] = queries.capacity_between(today, today + dt.timedelta(days=13))
        ctx["backlog"] = queries.backlog(today, current_app.config["DUE_SOON_DAYS"])
        ctx["by_district"] = queries.coverage(start, end, "district")
        ctx["by_type"] = queries.coverage(start, end, "type")
        ctx["target"] = campaign.target_percent if campaign is not None else 85
        ctx["district_label"] = lambda k: _label("district", k)
        ctx["type_label"] = lambda k: _label("type", k)
        return render_template("campaigns/dashboard_lab.html", **ctx)
    org_id = current_user.organisation_id
    ctx["counts"] = queries.status_counts(org_id, today, current_app.config["DUE_SOON_DAYS"])
    mine = queries.coverage(start, end, "organisation", organisation_id=org_id)
    ctx["mine"] = mine[0] if mine else None
    ctx["next_visit"] = queries.next_visit(org_id, today)
    if current_user.role == "equipment_officer":
        ctx["bookings"] = db.session.execute(queries.bookings_for(current_user).limit(20)).scalars().all()
        ctx["certificates"] = db.session.execute(
            select(Certificate).join(Instrument, Instrument.id == Certificate.instrument_id)
            .where(Instrument.owner_id == org_id, Certificate.revoked_dt.is_(None),
                   Certificate.replaced_by_id.is_(None))
            .order_by(Certificate.issued_dt.desc()).limit(20)).scalars().all()
    return render_template("campaigns/dashboard_customer.html", **ctx)


# ---------------------------------------------------------------- campaigns, calendar, visits

@bp.route("/campaigns", methods=["GET", "POST"])
@require_roles("lab_manager", "technician")
def campaigns() -> ResponseReturnValue:
    form = CampaignForm()
    code: int | None = 200
    if request.method == "POST":
        if current_user.role not in ("lab_manager", "admin"):
            abort(403)
        if form.validate_on_submit():
            created, code = run(form, lambda: ops.create_campaign(
                {"name": form.name.data.strip(), "start_on": form.start_on.data, "end_on": form.end_on.data,
                 "target_percent": form.target_percent.data}, current_user))
            if created is not None:
                db.session.commit()
                return redirect(url_for("campaign_pages.campaign", campaign_id=created.id))
        else:
            code = 422
    rows = db.session.execute(select(Campaign).order_by(Campaign.start_on.desc())).scalars().all()
    return render_template("campaigns/campaigns.html", form=form, campaigns=rows), code or 200


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@require_roles("lab_manager", "technician")
def campaign(campaign_id: int) -> ResponseReturnValue:
    """A campaign: its figures, the plan on a calendar (crews × days), export and plan import."""
    row = get_or_404(Campaign, campaign_id)
    form = PlanUploadForm()
    code: int | None = 200
    if request.method == "POST":
        if current_user.role not in ("lab_manager", "admin"):
            abort(403)
        if form.validate_on_submit():
            upload = form.plan.data
            try:
                plan = json.loads(upload.read().decode("utf-8")) if upload else None
            except (UnicodeDecodeError, json.JSONDecodeError):
                plan = None
            if plan is None:
                form.plan.errors = [_("Choose a plan file in JSON (lims-plan/1).")]
                code = 422
            else:
                visits, code = run(form, lambda: ops.import_plan(row, plan, current_user), {"plan": "plan"})
                if visits is not None:
                    db.session.commit()
                    flash(_("%(n)d visits imported.", n=len(visits)))
                    return redirect(url_for("campaign_pages.campaign", campaign_id=row.id))
        else:
            code = 422
    days, crews, cells = queries.calendar(row.id, current_user)
    return render_template("campaigns/campaign.html", campaign=row, form=form, solve_form=SolveForm(), days=days,
                           crews=crews, cells=cells), code or 200


@bp.route("/campaigns/<int:campaign_id>/solve", methods=["POST"])
@require_roles("lab_manager")
def campaign_solve(campaign_id: int) -> ResponseReturnValue:
    """Start the planner as a background task and show its progress page (the same task on a double click)."""
    row = get_or_404(Campaign, campaign_id)
    form = SolveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        task = background.submit_solve(row, current_user)
    except Conflict as exc:
        db.session.rollback()
        flash(translate(exc))
        return redirect(url_for("campaign_pages.campaign", campaign_id=row.id))
    db.session.commit()
    return redirect(url_for("task_pages.task_page", task_id=task.id))


@bp.route("/campaigns/<int:campaign_id>/instance.json")
@require_roles("lab_manager")
def campaign_instance(campaign_id: int) -> ResponseReturnValue:
    instance = ops.export_instance(get_or_404(Campaign, campaign_id))
    return Response(json.dumps(instance, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=campaign-{campaign_id}-instance.json"})


@bp.route("/visits/<int:visit_id>", methods=["GET", "POST"])
@login_required
def visit(visit_id: int) -> ResponseReturnValue:
    """One visit: its instruments and jobs; the lab manager moves or cancels it."""
    row = get_or_404(Visit, visit_id)
    check_org(current_user, row.site.organisation_id)
    move, cancel = VisitMoveForm(prefix="move"), VersionForm(prefix="cancel")
    move.crew_id.choices = choices([(c.id, c.name) for c in db.session.execute(
        select(Crew).where(Crew.is_active.is_(True)).order_by(Crew.name)).scalars()])
    code: int | None = 200
    if request.method == "POST":
        if current_user.role not in ("lab_manager", "admin"):
            abort(403)
        if request.form.get("action") == "cancel":
            if cancel.validate_on_submit():
                done, code = run(cancel, lambda: ops.cancel_visit(row, cancel.version.data))
            else:
                done, code = None, 422
        elif move.validate_on_submit():
            done, code = run(move, lambda: ops.move_visit(row, {"version": move.version.data, "day": move.day.data,
                                                                  "crew_id": move.crew_id.data}))
        else:
            done, code = None, 422
        if done is not None:
            db.session.commit()
            flash(_("Visit saved."))
            return redirect(url_for("campaign_pages.visit", visit_id=row.id))
    if request.method == "GET":
        move.day.data, move.crew_id.data = row.day, row.crew_id
    move.version.data = cancel.version.data = row.version
    return render_template("campaigns/visit.html", visit=row, move=move, cancel=cancel, type_name=type_name), \
        code or 200


# ---------------------------------------------------------------- capacity and bookings

def _bookable_instruments(org_id):
    busy = select(Job.instrument_id).where(Job.state != "returned")
    return db.session.execute(select(Instrument).where(
        Instrument.owner_id == org_id, Instrument.is_deleted.is_(False), Instrument.is_withdrawn.is_(False),
        ~Instrument.id.in_(busy)).order_by(Instrument.id).limit(500)).unique().scalars().all()


@bp.route("/bookings", methods=["GET", "POST"])
@login_required
def bookings() -> ResponseReturnValue:
    """Free bench capacity (minutes left per day and kind), booking a batch into it, and the bookings."""
    form = BookingForm(prefix="book")
    customer = not sees_all_organisations(current_user)
    code: int | None = 200
    if request.method == "POST":
        if not customer:
            abort(403)
        ids = request.form.getlist("instrument_ids", type=int)
        if form.validate_on_submit():
            if not ids:
                form.form_errors.append(_("Select at least one instrument."))
                code = 422
            else:
                booking, code = run(form, lambda: ops.book_into_capacity(current_user, ids, form.day.data,
                                                                         form.notes.data or ""),
                                    {"instrument_ids": "day"})
                if booking is not None:
                    db.session.commit()
                    flash(_("Booking %(id)d holds %(day)s.", id=booking.id, day=booking.day.isoformat()))
                    return redirect(url_for("campaign_pages.bookings"))
        else:
            code = 422
    today = ops.today()
    capacity = queries.capacity_between(today, today + dt.timedelta(days=27))
    rows = db.session.execute(queries.bookings_for(current_user).limit(100)).scalars().all()
    instruments = _bookable_instruments(current_user.organisation_id) if customer else []
    return render_template("campaigns/bookings.html", form=form, capacity=capacity, bookings=rows,
                           instruments=instruments, customer=customer, type_name=type_name), code or 200


@bp.route("/bookings/<int:booking_id>/<any(confirm, propose, reschedule, cancel):action>", methods=["POST"])
@login_required
def booking_action(booking_id: int, action: str) -> ResponseReturnValue:
    booking = get_or_404(Booking, booking_id)
    if action in ("confirm", "propose"):
        if current_user.role not in ("lab_manager", "admin"):
            abort(403)
    elif not sees_all_organisations(current_user):
        check_org(current_user, booking.organisation_id, "write")
    elif current_user.role == "technician":
        abort(403)
    form = VersionForm()
    if not form.validate_on_submit():
        flash(_("The form expired; reload the page and try again."))
        return redirect(url_for("campaign_pages.bookings"))
    if action in ("propose", "reschedule") and not form.day.data:
        flash(_("Choose a day."))
        return redirect(url_for("campaign_pages.bookings"))
    fn = {"confirm": lambda: ops.confirm_booking(booking, form.version.data),
          "propose": lambda: ops.propose_day(booking, form.version.data, form.day.data),
          "reschedule": lambda: ops.reschedule_booking(booking, form.version.data, form.day.data),
          "cancel": lambda: ops.cancel_booking(booking, form.version.data)}[action]
    done, _code = run(form, fn)
    if done is not None:
        db.session.commit()
        flash(_("Booking %(id)d saved.", id=booking.id))
    else:
        for message in form.form_errors + [m for f in form for m in f.errors]:
            flash(message)
    return redirect(url_for("campaign_pages.bookings"))


# ---------------------------------------------------------------- recall: page, CSV, iCalendar

def _recall_org():
    if sees_all_organisations(current_user):
        org_id = request.args.get("organisation_id", type=int)
        return db.session.get(Organisation, org_id) if org_id else None
    return db.session.get(Organisation, current_user.organisation_id)


def _within():
    return max(0, min(request.args.get("within_days", 30, type=int) or 0, 730))


def _ics_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="recall-ics")


@bp.route("/recall")
@login_required
def recall() -> ResponseReturnValue:
    org, within = _recall_org(), _within()
    rows, feed = [], None
    if org is not None:
        rows = queries.recall(org.id, ops.today(), within)
        ops.log_notice(org.id, "page", within, sum(r["state"] == "due" for r in rows),
                       sum(r["state"] == "overdue" for r in rows), current_user)
        db.session.commit()
        feed = url_for("campaign_pages.recall_feed", token=_ics_serializer().dumps(org.id), _external=True)
    orgs = db.session.execute(select(Organisation).where(Organisation.kind.in_(("market", "hospital")))
                              .order_by(Organisation.name)).scalars().all() if sees_all_organisations(current_user) \
        else []
    return render_template("campaigns/recall.html", org=org, rows=rows, within=within, orgs=orgs, feed=feed,
                           type_name=type_name)


@bp.route("/recall.csv")
@login_required
def recall_csv() -> ResponseReturnValue:
    org, within = _recall_org(), _within()
    if org is None:
        abort(404)
    rows = queries.recall(org.id, ops.today(), within)
    ops.log_notice(org.id, "csv", within, sum(r["state"] == "due" for r in rows),
                   sum(r["state"] == "overdue" for r in rows), current_user)
    db.session.commit()
    return Response(feeds.recall_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=recall-{org.id}.csv"})


def _ics_response(org):
    today = ops.today()
    rows = queries.recall(org.id, today, 365)
    visits = db.session.execute(queries.visits_for(_OrgViewer(org.id), start=today)).unique().scalars().all()
    booked = db.session.execute(queries.bookings_for(_OrgViewer(org.id)).where(Booking.state != "cancelled",
                                                                               Booking.day >= today)).scalars().all()
    ops.log_notice(org.id, "ics", 365, sum(r["state"] == "due" for r in rows),
                   sum(r["state"] == "overdue" for r in rows), current_user if current_user.is_authenticated else None)
    db.session.commit()
    return Response(feeds.ics(org, visits, booked, rows, request.host.split(":")[0]), mimetype="text/calendar",
                    headers={"Content-Disposition": f"attachment; filename=verification-{org.id}.ics"})


class _OrgViewer:
    """Stands for a customer of ``organisation_id`` (the feed's link is signed for one organisation)."""

    role = "market_manager"

    def __init__(self, organisation_id) -> None:
        self.organisation_id = organisation_id


@bp.route("/recall.ics")
@login_required
def recall_ics() -> ResponseReturnValue:
    org = _recall_org()
    if org is None:
        abort(404)
    return _ics_response(org)


@bp.route("/calendar/<token>.ics")
def recall_feed(token: str) -> ResponseReturnValue:
    """The subscription URL for a phone calendar: signed for one organisation, no login."""
    try:
        org_id = _ics_serializer().loads(token)
    except BadSignature:
        abort(404)
    org = db.session.get(Organisation, org_id) if isinstance(org_id, int) else None
    if org is None:
        abort(404)
    return _ics_response(org)


# ---------------------------------------------------------------- coverage, and the public page

def _period(allowed):
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        abort(422, description=_("Unknown query parameter: %(names)s", names=", ".join(unknown)))
    start, end = queries.period_of(ops.today())
    try:
        start = dt.date.fromisoformat(request.args["from"]) if request.args.get("from") else start
        end = dt.date.fromisoformat(request.args["to"]) if request.args.get("to") else end
    except ValueError:
        abort(422, description=_("from and to must be dates (YYYY-MM-DD)"))
    if end < start:
        abort(422, description=_("to must not be before from"))
    return start, end


def _label(group_by, key):
    if group_by == "type":
        return key[2] if str(get_locale()) == "zh" else key[1]
    if group_by == "district":
        return key[0] or _("(no district)")
    return key[1]


def _charted(rows, group_by):
    return [(_label(group_by, r["key"]), r["coverage"]) for r in rows]


@bp.route("/coverage")
@login_required
def coverage() -> ResponseReturnValue:
    start, end = _period(("from", "to", "group_by", "lang"))
    group_by = request.args.get("group_by") or "district"
    if group_by not in queries.COVERAGE_GROUPS:
        abort(422, description=_("group_by must be organisation, district or type"))
    org_id = None if sees_all_organisations(current_user) else current_user.organisation_id
    rows = queries.coverage(start, end, group_by, organisation_id=org_id)
    chart = feeds.svg_bars(_charted(rows, group_by), _("Coverage %"))
    return render_template("campaigns/coverage.html", rows=rows, chart=chart, start=start, end=end,
                           group_by=group_by, label=lambda k: _label(group_by, k), public=False)


@bp.route("/coverage.csv")
@login_required
def coverage_csv() -> ResponseReturnValue:
    start, end = _period(("from", "to", "group_by"))
    group_by = request.args.get("group_by") or "district"
    if group_by not in queries.COVERAGE_GROUPS:
        abort(422, description=_("group_by must be organisation, district or type"))
    org_id = None if sees_all_organisations(current_user) else current_user.organisation_id
    rows = queries.coverage(start, end, group_by, organisation_id=org_id)
    return Response(feeds.coverage_csv(rows, group_by), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=coverage-{group_by}.csv"})


def _public_rows(start, end):
    cache = current_app.extensions.setdefault("public_coverage_cache", {})  # per app: per database
    key = (start, end)
    hit = cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    data = {g: queries.coverage(start, end, g) for g in queries.PUBLIC_GROUPS}
    if len(cache) > 256:
        cache.clear()
    cache[key] = (time.monotonic() + PUBLIC_TTL, data)
    return data


@bp.route("/public/coverage")
def public_coverage() -> ResponseReturnValue:
    """Province coverage by district and instrument type: aggregate figures only, no login, cached."""
    start, end = _period(("from", "to", "lang"))
    data = _public_rows(start, end)
    charts = {g: feeds.svg_bars(_charted(rows, g), _("Coverage %")) for g, rows in data.items()}
    html = render_template("campaigns/public_coverage.html", data=data, charts=charts, start=start, end=end,
                           label_for=lambda g: (lambda k: _label(g, k)))
    return Response(html, headers={"Cache-Control": f"public, max-age={PUBLIC_TTL}"})


@bp.route("/public/coverage.csv")
def public_coverage_csv() -> ResponseReturnValue:
    start, end = _period(("from", "to", "group_by"))
    group_by = request.args.get("group_by") or "district"
    if group_by not in queries.PUBLIC_GROUPS:
        abort(422, description=_("group_by must be district or type"))
    rows = _public_rows(start, end)[group_by]
    return Response(feeds.coverage_csv(rows, group_by), mimetype="text/csv",
                    headers={"Cache-Control": f"public, max-age={PUBLIC_TTL}",
                             "Content-Disposition": f"attachment; filename=coverage-{group_by}.csv"})


# ---------------------------------------------------------------- the campaign register (lab manager)

class CrewForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    members = StringField(_l("Members (comma-separated)"), validators=[Optional(), Length(max=1000)])
    type_codes = SelectMultipleField(_l("Instrument types"), validators=[DataRequired()])
    minutes_per_day = IntegerField(_l("Minutes per day"), default=420,
                                   validators=[InputRequired(), NumberRange(min=0, max=1440)])
    days_off = StringField(_l("Days off (YYYY-MM-DD, comma-separated)"), validators=[Optional(), Length(max=4000)])
    go = SubmitField(_l("Add crew"))


class SiteForm(FlaskForm):
    organisation_id = SelectField(_l("Market or hospital"), coerce=int, validators=[InputRequired()])
    setup_minutes = IntegerField(_l("Setup minutes"), default=30, validators=[InputRequired(),
                                                                              NumberRange(min=0, max=1440)])
    max_crews_per_day = IntegerField(_l("Crews at once"), default=1, validators=[InputRequired(),
                                                                                 NumberRange(min=1, max=50)])
    closed_days = StringField(_l("Closed days (YYYY-MM-DD, comma-separated)"),
                              validators=[Optional(), Length(max=4000)])
    go = SubmitField(_l("Save site"))


class MinutesForm(FlaskForm):
    type_code = SelectField(_l("Instrument type"), validators=[InputRequired()])
    minutes = IntegerField(_l("Minutes per instrument"), validators=[InputRequired(), NumberRange(min=0, max=1440)])
    go = SubmitField(_l("Set minutes"))


class HolidayForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    go = SubmitField(_l("Add holiday"))


class CapacityForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    kind = SelectField(_l("Kind"), validators=[InputRequired()])
    minutes = IntegerField(_l("Total minutes"), validators=[InputRequired(), NumberRange(min=0, max=100000)])
    go = SubmitField(_l("Open capacity"))


def _days(text, form, field):
    out = []
    for part in (text or "").split(","):
        if part.strip():
            try:
                out.append(dt.date.fromisoformat(part.strip()))
            except ValueError:
                getattr(form, field).errors = [_("%(value)s is not a date (YYYY-MM-DD)", value=part.strip())]
                return None
    return out


@bp.route("/campaigns/register", methods=["GET", "POST"])
@require_roles("lab_manager", "technician")
def register() -> ResponseReturnValue:
    """Crews, sites, minutes per type, holidays and bench capacity: what plans and bookings are made from."""

    types = db.session.execute(select(InstrumentType).order_by(InstrumentType.code)).scalars().all()
    orgs = db.session.execute(select(Organisation).where(Organisation.kind.in_(("market", "hospital")))
                              .order_by(Organisation.name)).scalars().all()
    forms: dict[str, Any] = {
        "crew": CrewForm(prefix="crew"), "site": SiteForm(prefix="site"), "minutes": MinutesForm(prefix="minutes"),
        "holiday": HolidayForm(prefix="holiday"), "capacity": CapacityForm(prefix="capacity")}
    forms["crew"].type_codes.choices = choices([(t.code, type_name(t)) for t in types])
    forms["minutes"].type_code.choices = choices([(t.code, type_name(t)) for t in types])
    forms["site"].organisation_id.choices = choices([(o.id, o.name) for o in orgs])
    forms["capacity"].kind.choices = choices([(k, _(k)) for k in CAPACITY_KINDS])
    code: int | None = 200
    which = request.form.get("form") if request.method == "POST" else None
    if which is not None:
        if current_user.role not in ("lab_manager", "admin"):
            abort(403)
        form = forms.get(which)
        if form is None:
            abort(400)
        done = None
        if not form.validate_on_submit():
            code = 422
        elif which == "crew":
            off = _days(form.days_off.data, form, "days_off")
            if off is None:
                code = 422
            else:
                done, code = run(form, lambda: ops.create_crew({
                    "name": form.name.data.strip(), "type_codes": form.type_codes.data,
                    "members": [m.strip() for m in (form.members.data or "").split(",") if m.strip()],
                    "minutes_per_day": form.minutes_per_day.data, "days_off": off}))
        elif which == "site":
            closed = _days(form.closed_days.data, form, "closed_days")
            org = db.session.get(Organisation, form.organisation_id.data)
            if closed is None or org is None:
                code = 422
            else:
                done, code = run(form, lambda: ops.set_site(org, {
                    "setup_minutes": form.setup_minutes.data, "max_crews_per_day": form.max_crews_per_day.data,
                    "closed_days": closed}))
        elif which == "minutes":
            done, code = run(form, lambda: ops.set_type_minutes(form.type_code.data, form.minutes.data),
                             {"type_code": "type_code", "minutes": "minutes"})
        elif which == "holiday":
            done, code = run(form, lambda: ops.add_holiday(form.day.data, (form.name.data or "").strip()))
        else:
            done, code = run(form, lambda: ops.open_capacity(form.day.data, form.kind.data, form.minutes.data))
        if done is not None:
            db.session.commit()
            flash(_("Saved."))
            return redirect(url_for("campaign_pages.register"))
    today = ops.today()
    return render_template(
        "campaigns/register.html", forms=forms, type_name=type_name,
        crews=db.session.execute(select(Crew).order_by(Crew.name)).scalars().all(),
        sites=db.session.execute(select(Site).order_by(Site.id)).scalars().all(),
        minutes=db.session.execute(select(TypeMinutes)).scalars().all(),
        holidays=db.session.execute(select(Holiday).where(Holiday.day >= today).order_by(Holiday.day)).scalars().all(),
        capacity=queries.capacity_between(today, today + dt.timedelta(days=27))), code or 200
