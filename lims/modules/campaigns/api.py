"""JSON API of campaigns: crews, sites, campaigns and their visits, bench capacity, bookings,
recall lists and coverage figures."""
import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import RAISE, fields, validate

from lims.core.auth import check_org, login_required, require_roles, sees_all_organisations
from lims.core.db import get_or_404
from lims.core.http import DomainValidationError
from lims.core.schemas import LoadSchema, PageArgsSchema, page_schema, paginate
from lims.extensions import db
from lims.modules.campaigns import background, queries  # background registers the campaign-plan task
from lims.modules.campaigns import operations as ops
from lims.modules.campaigns import schemas as s
from lims.modules.campaigns.models import (
    Booking,
    Campaign,
    CapacityDay,
    Crew,
    Holiday,
    Notice,
    Site,
    TypeMinutes,
    Visit,
)
from lims.modules.organisations.models import Organisation
from lims.modules.tasks.api import TaskSchema

blp = Blueprint("campaigns", __name__, url_prefix="/api/v1", description="Campaigns, capacity, bookings, coverage")
PLANNERS = ("lab_manager",)
LAB = ("lab_manager", "technician")


@blp.route("/crews")
class Crews(MethodView):
    @require_roles(*LAB)
    @blp.response(200, s.CrewSchema(many=True))
    def get(self) -> Sequence[Crew]:
        """List crews"""
        return db.session.execute(db.select(Crew).order_by(Crew.name)).scalars().all()

    @require_roles(*PLANNERS)
    @blp.arguments(s.CrewCreateSchema)
    @blp.response(201, s.CrewSchema)
    def post(self, data: dict[str, Any]) -> Crew:
        """Create a crew (members, the instrument types it verifies, minutes a day, days off)"""
        return ops.create_crew(data)


@blp.route("/sites")
@require_roles(*LAB)
@blp.response(200, s.SiteSchema(many=True))
def list_sites() -> Sequence[Site]:
    """List the campaign profiles of markets and hospitals"""
    return db.session.execute(db.select(Site).order_by(Site.id)).scalars().all()


@blp.route("/sites/<int:organisation_id>", methods=["PUT"])
@require_roles(*PLANNERS)
@blp.arguments(s.SiteSetSchema)
@blp.response(200, s.SiteSchema)
def set_site(data: dict[str, Any], organisation_id: int) -> Site:
    """Set a market's or hospital's setup minutes, crews at once and closed days"""
    return ops.set_site(get_or_404(Organisation, organisation_id), data)


@blp.route("/campaigns")
class Campaigns(MethodView):
    @require_roles(*LAB)
    @blp.response(200, s.CampaignSchema(many=True))
    def get(self) -> Sequence[Campaign]:
        """List campaigns"""
        return db.session.execute(db.select(Campaign).order_by(Campaign.start_on.desc())).scalars().all()

    @require_roles(*PLANNERS)
    @blp.arguments(s.CampaignCreateSchema)
    @blp.response(201, s.CampaignSchema)
    def post(self, data: dict[str, Any]) -> Campaign:
        """Create a campaign for a period"""
        return ops.create_campaign(data, current_user)


@blp.route("/campaigns/<int:campaign_id>")
@require_roles(*LAB)
@blp.response(200, s.CampaignSchema)
def get_campaign(campaign_id: int) -> Campaign:
    """Get a campaign with its solver progress and plan figures"""
    return get_or_404(Campaign, campaign_id)


@blp.route("/campaigns/<int:campaign_id>/instance")
@require_roles(*PLANNERS)
@blp.response(200, s.InstanceSchema)
def export_instance(campaign_id: int) -> dict[str, Any]:
    """The campaign's planning instance (lims-plan-instance/1) from the register"""
    return ops.export_instance(get_or_404(Campaign, campaign_id))


class SolveArgsSchema(LoadSchema):
    time_limit = fields.Float(validate=validate.Range(min=0.1, max=3600),
                              metadata={"description": "solver time limit in seconds (without a plan in the body)"})


@blp.route("/campaigns/<int:campaign_id>/plan", methods=["POST"])
@require_roles(*PLANNERS)
@blp.arguments(SolveArgsSchema, location="query")
@blp.response(201, s.VisitSchema(many=True))
@blp.alt_response(202, schema=TaskSchema, description="No body: the solve was queued as a background task")
def import_plan(args: dict[str, Any], campaign_id: int) -> ResponseReturnValue | list[Visit]:
    """Import a plan (lims-plan/1) as visits, or (no body) let the server solve the campaign in the background.

    With a plan in the body: every instrument gets its job for the visit's day (201, the visits).
    Without a body: the planner runs as a task (202 + ``Location`` of the task to poll); posting again
    while it waits or runs returns the same task. A refused instance ends the task as failed, nothing stored.
    """
    campaign = get_or_404(Campaign, campaign_id)
    if not request.get_data(cache=True).strip():
        task = background.submit_solve(campaign, current_user, args.get("time_limit"))
        resp = jsonify(TaskSchema().dump(task))
        resp.status_code, resp.headers["Location"] = 202, url_for("tasks.Task", task_id=task.id)
        return resp
    plan = request.get_json(silent=True)
    if plan is None:
        raise DomainValidationError({"body": ["send the plan as a JSON object"]})
    return ops.import_plan(campaign, plan, current_user)


@blp.route("/visits")
@login_required
@blp.arguments(s.CapacityQuerySchema, location="query", unknown=RAISE)
@blp.response(200, s.VisitSchema(many=True))
def list_visits(args: dict[str, Any]) -> Sequence[Visit]:
    """Planned visits (customers: the visits to their own site), optionally between two days"""
    q = queries.visits_for(current_user, start=args.get("start"), end=args.get("end"))
    return db.session.execute(q).unique().scalars().all()


@blp.route("/visits/<int:visit_id>", methods=["PATCH"])
@require_roles(*PLANNERS)
@blp.arguments(s.VisitMoveSchema)
@blp.response(200, s.VisitSchema)
def move_visit(data: dict[str, Any], visit_id: int) -> Visit:
    """Move a visit to another day or crew (re-checked against every planning rule)"""
    return ops.move_visit(get_or_404(Visit, visit_id), data)


@blp.route("/visits/<int:visit_id>/cancel", methods=["POST"])
@require_roles(*PLANNERS)
@blp.arguments(s.VersionSchema)
@blp.response(200, s.VisitSchema)
def cancel_visit(data: dict[str, Any], visit_id: int) -> Visit:
    """Cancel a visit and the jobs it booked"""
    return ops.cancel_visit(get_or_404(Visit, visit_id), data["version"])


@blp.route("/capacity")
class Capacity(MethodView):
    @login_required
    @blp.arguments(s.CapacityQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, s.CapacitySchema(many=True))
    def get(self, args: dict[str, Any]) -> Sequence[CapacityDay]:
        """Bench capacity: minutes left per day and instrument kind (default: the next 28 days)"""
        start = args.get("start") or ops.today()
        end = args.get("end") or start + dt.timedelta(days=28)
        if (end - start).days > 366:
            abort(422, message="invalid input", errors={"to": ["at most 366 days after from"]})
        return queries.capacity_between(start, end)

    @require_roles(*PLANNERS)
    @blp.arguments(s.CapacityOpenSchema)
    @blp.response(201, s.CapacitySchema)
    def post(self, data: dict[str, Any]) -> CapacityDay:
        """Open (or resize) a day's bench capacity for an instrument kind"""
        return ops.open_capacity(data["day"], data["kind"], data["minutes"])


BookingPage = page_schema(s.BookingSchema, "BookingPageSchema")


@blp.route("/bookings")
class Bookings(MethodView):
    @login_required
    @blp.arguments(s.BookingQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, BookingPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Bookings (customers: their organisation's), filtered by the day booked for"""
        return paginate(queries.bookings_for(current_user, args.get("booked_for"), args.get("state")), args)

    @login_required
    @blp.arguments(s.BookingCreateSchema)
    @blp.response(201, s.BookingSchema)
    def post(self, data: dict[str, Any]) -> Booking:
        """Book a batch into a bench day's free capacity: all or none; never beyond capacity (409)"""
        if current_user.role == "technician":
            abort(403, message=f"your role ({current_user.role}) may not do this")
        return ops.book_into_capacity(current_user, data["instrument_ids"], data["day"], data["notes"])


@blp.route("/bookings/<int:booking_id>")
@login_required
@blp.response(200, s.BookingSchema)
def get_booking(booking_id: int) -> Booking:
    """Get a booking with its batch's progress"""
    booking = get_or_404(Booking, booking_id)
    check_org(current_user, booking.organisation_id)
    return booking


@blp.route("/bookings/<int:booking_id>/actions", methods=["POST"])
@login_required
@blp.arguments(s.BookingActionSchema)
@blp.response(200, s.BookingSchema)
def booking_action(data: dict[str, Any], booking_id: int) -> Booking:
    """Confirm or propose another day (lab manager); reschedule or cancel (the booking's organisation or the lab)"""
    booking = get_or_404(Booking, booking_id)
    action = data["action"]
    if action in ("confirm", "propose"):
        if current_user.role not in PLANNERS + ("admin",):
            abort(403, message=f"your role ({current_user.role}) may not {action} a booking")
    elif not sees_all_organisations(current_user):
        check_org(current_user, booking.organisation_id, "write")
    elif current_user.role == "technician":
        abort(403, message=f"your role ({current_user.role}) may not {action} a booking")
    if action == "confirm":
        return ops.confirm_booking(booking, data["version"])
    if action == "propose":
        return ops.propose_day(booking, data["version"], data["day"])
    if action == "reschedule":
        return ops.reschedule_booking(booking, data["version"], data["day"])
    return ops.cancel_booking(booking, data["version"])


def _org_for(args):
    """The organisation a customer asks about is their own; lab staff name one."""
    if sees_all_organisations(current_user):
        if not args.get("organisation_id"):
            abort(422, message="invalid input", errors={"organisation_id": ["name the organisation"]})
        return get_or_404(Organisation, args["organisation_id"])
    if args.get("organisation_id") and args["organisation_id"] != current_user.organisation_id:
        check_org(current_user, args["organisation_id"])
    return db.session.get(Organisation, current_user.organisation_id)


@blp.route("/recall")
@login_required
@blp.arguments(s.RecallQuerySchema, location="query", unknown=RAISE)
@blp.response(200, s.RecallSchema)
def recall(args: dict[str, Any]) -> dict[str, Any]:
    """An organisation's recall list: overdue and due within N days (each generation is logged)"""
    org = _org_for(args)
    rows = queries.recall(org.id, ops.today(), args["within_days"])
    ops.log_notice(org.id, "api", args["within_days"], sum(r["state"] == "due" for r in rows),
                   sum(r["state"] == "overdue" for r in rows), current_user)
    return {"organisation_id": org.id, "within_days": args["within_days"],
            "items": [{"instrument_id": r["instrument"].id, "type": r["instrument"].type.code,
                       "serial_number": r["instrument"].serial_number, "state": r["state"],
                       "due": r["due"].isoformat() if r["due"] else None,
                       "scheduled": r["scheduled"].isoformat() if r["scheduled"] else None} for r in rows]}


@blp.route("/coverage")
@login_required
@blp.arguments(s.CoverageQuerySchema, location="query", unknown=RAISE)
@blp.response(200, s.CoverageSchema)
def coverage(args: dict[str, Any]) -> dict[str, Any]:
    """Coverage for a period (verified between two dates) per organisation, district or type;
    customers see their own organisation's figures only"""
    start, end = queries.period_of(ops.today())
    start, end = args.get("verified_from") or start, args.get("verified_to") or end
    org_id = None if sees_all_organisations(current_user) else current_user.organisation_id
    rows = queries.coverage(start, end, args["group_by"], organisation_id=org_id)
    return {"verified_from": start.isoformat(), "verified_to": end.isoformat(), "group_by": args["group_by"],
            "items": [{"group": list(r["key"]), **{k: r[k] for k in ("under_control", "verified", "passed",
                                                                        "coverage", "pass_rate")}} for r in rows]}


NoticePage = page_schema(s.NoticeSchema, "NoticePageSchema")


@blp.route("/notices")
@login_required
@blp.arguments(PageArgsSchema, location="query", unknown=RAISE)
@blp.response(200, NoticePage)
def notices(args: dict[str, Any]) -> dict[str, Any]:
    """The log of recall notices generated (page, CSV, calendar feed, API); customers see their own"""
    q = db.select(Notice).order_by(Notice.id.desc())
    if not sees_all_organisations(current_user):
        q = q.where(Notice.organisation_id == current_user.organisation_id)
    return paginate(q, args)


@blp.route("/type-minutes")
@require_roles(*LAB)
@blp.response(200, s.TypeMinutesSchema(many=True))
def list_type_minutes() -> Sequence[TypeMinutes]:
    """Minutes per instrument of each type the lab verifies (a type without minutes is not verified)"""
    return db.session.execute(db.select(TypeMinutes)).scalars().all()


@blp.route("/type-minutes/<type_code>", methods=["PUT"])
@require_roles(*PLANNERS)
@blp.arguments(s.TypeMinutesSetSchema)
@blp.response(200, s.TypeMinutesSchema)
def set_type_minutes(data: dict[str, Any], type_code: str) -> TypeMinutes:
    """Set the minutes one instrument of a type takes"""
    return ops.set_type_minutes(type_code, data["minutes"])


@blp.route("/holidays")
class Holidays(MethodView):
    @login_required
    @blp.response(200, s.HolidaySchema(many=True))
    def get(self) -> Sequence[Holiday]:
        """Public holidays (no visits, no bench capacity)"""
        return db.session.execute(db.select(Holiday).order_by(Holiday.day)).scalars().all()

    @require_roles(*PLANNERS)
    @blp.arguments(s.HolidayCreateSchema)
    @blp.response(201, s.HolidaySchema)
    def post(self, data: dict[str, Any]) -> Holiday:
        """Record a public holiday"""
        return ops.add_holiday(data["day"], data["name"])
