"""Campaign operations: the register's crews, sites and minutes; export an instance, import a plan as
visits (each booking its jobs through the ordinary booking path), move or cancel a visit; bench
capacity and bookings into it (never overbooked: a conditional UPDATE in the database); recall notices.

Operations mutate and flush; the caller (request, CLI, task) commits once or rolls back.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from lims.core.auth import check_org, sees_all_organisations
from lims.core.db import check_version, get_or_404
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.campaigns import rules
from lims.modules.campaigns.models import (
    Booking,
    BookingInstrument,
    Campaign,
    CapacityDay,
    Crew,
    Holiday,
    Notice,
    Site,
    TypeMinutes,
    Visit,
    VisitInstrument,
)
from lims.modules.equipment.models import Instrument, InstrumentType
from lims.modules.jobs import operations as jobs_ops
from lims.modules.jobs.models import Job
from lims.modules.jobs.operations import book_batch, drop_booked_jobs
from lims.modules.users.models import User

if TYPE_CHECKING:
    from lims.modules.organisations.models import Organisation

# instruments due up to this many days after a campaign's end are offered to the planner too
LOOKAHEAD_DAYS = 92


def today() -> dt.date:
    return dt.date.today()


# ---------------------------------------------------------------- register of crews, sites, minutes, holidays

def _check_type_codes(codes):
    known = set(db.session.execute(sa.select(InstrumentType.code)).scalars())
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DomainValidationError({"type_codes": [f"unknown instrument type(s): {', '.join(unknown)}"]})


def create_crew(data: Mapping[str, Any]) -> Crew:
    """Create a crew from validated ``data`` (name, members, type_codes, minutes_per_day, days_off)."""
    _check_type_codes(data.get("type_codes", []))
    if db.session.execute(sa.select(Crew.id).where(Crew.name == data["name"])).first():
        raise DomainValidationError({"name": [f"a crew named {data['name']!r} exists"]})
    crew = Crew(name=data["name"], members=data.get("members", []), type_codes=data.get("type_codes", []),
                minutes_per_day=data.get("minutes_per_day", 420),
                days_off=sorted({d.isoformat() for d in data.get("days_off", [])}))
    db.session.add(crew)
    db.session.flush()
    return crew


def set_site(organisation: Organisation, data: Mapping[str, Any]) -> Site:
    """Create or update the campaign profile (setup minutes, crews at once, closed days) of a market or hospital."""
    if organisation.kind not in ("market", "hospital"):
        raise DomainValidationError({"organisation_id": ["only markets and hospitals are campaign sites"]})
    site = db.session.execute(sa.select(Site).where(Site.organisation_id == organisation.id)).scalar_one_or_none()
    if site is None:
        site = Site(organisation_id=organisation.id, organisation=organisation)
        db.session.add(site)
    site.setup_minutes = data.get("setup_minutes", site.setup_minutes if site.setup_minutes is not None else 30)
    site.max_crews_per_day = data.get("max_crews_per_day", site.max_crews_per_day or 1)
    if "closed_days" in data:
        site.closed_days = sorted({d.isoformat() for d in data["closed_days"]})
    elif site.closed_days is None:
        site.closed_days = []
    db.session.flush()
    return site


def set_type_minutes(type_code: str, minutes: int) -> TypeMinutes:
    """Set how many minutes one instrument of ``type_code`` takes (the lab verifies only types with minutes)."""

    itype = db.session.execute(sa.select(InstrumentType).where(InstrumentType.code == type_code)).scalar_one_or_none()
    if itype is None:
        raise DomainValidationError({"type_code": [f"unknown instrument type {type_code!r}"]})
    if not isinstance(minutes, int) or minutes < 0 or minutes > 24 * 60:
        raise DomainValidationError({"minutes": ["must be a whole number of minutes between 0 and 1440"]})
    row = db.session.get(TypeMinutes, itype.id)
    if row is None:
        row = TypeMinutes(type_id=itype.id, type=itype, minutes=minutes)
        db.session.add(row)
    row.minutes = minutes
    db.session.flush()
    return row


def add_holiday(day: dt.date, name: str = "") -> Holiday:
    """Record a public holiday (idempotent); refused while visits or bookings are planned on that day."""
    planned = db.session.execute(sa.select(sa.func.count(Visit.id)).where(Visit.day == day,
                                                                         Visit.state == "planned")).scalar()
    booked = db.session.execute(sa.select(sa.func.count(Booking.id)).where(Booking.day == day,
                                                                           Booking.state != "cancelled")).scalar()
    if planned or booked:
        raise Conflict(f"{planned} visit(s) and {booked} booking(s) are planned on {day.isoformat()}; "
                       "move them before declaring a holiday")
    row = db.session.get(Holiday, day)
    if row is None:
        row = Holiday(day=day, name=name)
        db.session.add(row)
        db.session.flush()
    return row


def create_campaign(data: Mapping[str, Any], user: User | None) -> Campaign:
    """Create a campaign for a period (``name``, ``start_on``, ``end_on``; optional ``target_percent``,
    ``workdays``)."""
    if data["end_on"] < data["start_on"]:
        raise DomainValidationError({"end_on": ["must not be before start_on"]})
    if db.session.execute(sa.select(Campaign.id).where(Campaign.name == data["name"])).first():
        raise DomainValidationError({"name": [f"a campaign named {data['name']!r} exists"]})
    campaign = Campaign(name=data["name"], start_on=data["start_on"], end_on=data["end_on"],
                        target_percent=data.get("target_percent", 85),
                        workdays=sorted(set(data.get("workdays") or [1, 2, 3, 4, 5])),
                        created_by_id=getattr(user, "id", None))
    db.session.add(campaign)
    db.session.flush()
    return campaign


# ---------------------------------------------------------------- the instance (FORMAT.md) from the register

def site_key(site_id: int) -> str:
    return f"S{site_id}"


def instrument_key(instrument_id: int) -> str:
    return f"I{instrument_id}"


def crew_key(crew_id: int) -> str:
    return f"C{crew_id}"


def _parse_key(prefix, text, what):
    if not isinstance(text, str) or not text.startswith(prefix) or not text[len(prefix):].isdigit():
        raise DomainValidationError({"plan": [f"{what} id {text!r} is not one this LIMS exported"]})
    return int(text[len(prefix):])


def due_date(instrument: Instrument, campaign: Campaign) -> dt.date:
    """When ``instrument`` is due: the last day of its validity, or the campaign's start when it has none."""
    if instrument.last_result == "pass" and instrument.verified_until is not None:
        return instrument.verified_until
    return campaign.start_on


def _in_range(days, start, end):
    return sorted(d for d in days if start.isoformat() <= d <= end.isoformat())


def export_instance(campaign: Campaign, include_instrument_ids: Iterable[int] = ()) -> dict[str, Any]:
    """The campaign's planning instance (``lims-plan-instance/1``) from the register.

    Instruments: not deleted or withdrawn, of a type with minutes, owned by an organisation with a
    site profile, due before the campaign's end plus :data:`LOOKAHEAD_DAYS`, without an open job —
    plus ``include_instrument_ids`` (the instruments of the campaign's own visits, when re-checking).
    """
    start, end = campaign.start_on, campaign.end_on
    minutes = {row.type_id: row for row in db.session.execute(sa.select(TypeMinutes)).scalars()}
    sites = {s.organisation_id: s for s in db.session.execute(sa.select(Site).order_by(Site.id)).scalars()}
    crews = db.session.execute(sa.select(Crew).where(Crew.is_active.is_(True)).order_by(Crew.id)).scalars().all()
    open_jobs = sa.select(Job.instrument_id).where(Job.state != "returned")
    include = set(include_instrument_ids)
    q = (sa.select(Instrument).where(Instrument.is_deleted.is_(False), Instrument.is_withdrawn.is_(False),
                                     Instrument.type_id.in_(list(minutes) or [-1]),
                                     Instrument.owner_id.in_(list(sites) or [-1]))
         .order_by(Instrument.id))
    horizon_end = end + dt.timedelta(days=LOOKAHEAD_DAYS)
    busy = set(db.session.execute(open_jobs).scalars())
    instruments, used_sites, kinds = [], set(), {}
    for inst in db.session.execute(q).unique().scalars():
        due = due_date(inst, campaign)
        if inst.id not in include and (inst.id in busy or due > horizon_end):
            continue
        site = sites[inst.owner_id]
        code = minutes[inst.type_id].type.code
        kinds[code] = {"minutes": minutes[inst.type_id].minutes}
        used_sites.add(site.id)
        instruments.append({"id": instrument_key(inst.id), "site": site_key(site.id), "kind": code,
                            "due": due.isoformat()})
    all_kinds = {row.type.code: {"minutes": row.minutes} for row in minutes.values()}
    holidays = db.session.execute(sa.select(Holiday.day).where(Holiday.day >= start, Holiday.day <= end)
                                  .order_by(Holiday.day)).scalars()
    # days already taken by the planned visits of other campaigns: a crew is busy, a full site is closed
    taken = db.session.execute(sa.select(Visit.crew_id, Visit.site_id, Visit.day).where(
        Visit.state == "planned", Visit.campaign_id != campaign.id, Visit.day >= start, Visit.day <= end)).all()
    crew_busy: dict[int, set[str]] = {}
    site_load: dict[tuple[int, str], int] = {}
    for crew_id, site_id, day in taken:
        crew_busy.setdefault(crew_id, set()).add(day.isoformat())
        site_load[(site_id, day.isoformat())] = site_load.get((site_id, day.isoformat()), 0) + 1
    out_sites = []
    for site in sorted(sites.values(), key=lambda s: s.id):
        if site.id not in used_sites:
            continue
        row = {"id": site_key(site.id), "setup_minutes": site.setup_minutes,
               "max_crews_per_day": site.max_crews_per_day}
        full = {d for (sid, d), n in site_load.items() if sid == site.id and n >= site.max_crews_per_day}
        closed = _in_range(set(site.closed_days or []) | full, start, end)
        if closed:
            row["closed"] = closed
        out_sites.append(row)
    out_crews = []
    for crew in crews:
        row = {"id": crew_key(crew.id), "kinds": sorted(k for k in crew.type_codes if k in all_kinds),
               "minutes_per_day": crew.minutes_per_day}
        off = _in_range(set(crew.days_off or []) | crew_busy.get(crew.id, set()), start, end)
        if off:
            row["off"] = off
        out_crews.append(row)
    return {
        "format": rules.INSTANCE_FORMAT,
        "horizon": {"start": start.isoformat(), "end": end.isoformat(), "workdays": sorted(campaign.workdays),
                    "holidays": [d.isoformat() for d in holidays]},
        "costs": {"visit_days": float(campaign.visit_days), "unplanned_penalty_days": campaign.unplanned_penalty_days},
        "kinds": dict(sorted(all_kinds.items())),
        "sites": out_sites,
        "instruments": instruments,
        "crews": out_crews,
    }


# ---------------------------------------------------------------- plans as visits

def _plan_visits(plan):
    if not isinstance(plan, dict) or plan.get("format") != rules.PLAN_FORMAT:
        raise DomainValidationError({"plan": [f"not a plan: 'format' must be {rules.PLAN_FORMAT!r}"]})
    visits = plan.get("visits")
    if not isinstance(visits, list) or not all(isinstance(v, dict) for v in visits):
        raise DomainValidationError({"plan": ["'visits' must be a list of objects"]})
    return visits


def import_plan(campaign: Campaign, plan: Any, user: User) -> list[Visit]:
    """Store ``plan``'s visits for ``campaign`` and book a job per instrument for the visit's day.

    All or nothing: any rule broken (checked against the instance exported now), an id this LIMS did
    not export, or an instrument that meanwhile got a job refuses the whole plan.

    :raises DomainValidationError: the plan is malformed or breaks a rule (every problem listed)
    :raises Conflict: the campaign already has planned visits
    """

    visits = _plan_visits(plan)
    if db.session.execute(sa.select(Visit.id).where(Visit.campaign_id == campaign.id,
                                                    Visit.state == "planned")).first():
        raise Conflict(f"campaign {campaign.id} already has planned visits; cancel them before importing a plan")
    instance = export_instance(campaign)
    errors = rules.check_visits(instance, visits)  # other campaigns' visits are busy days in the instance
    if errors:
        raise DomainValidationError({"plan": errors[:50]})
    created = []
    for v in visits:
        crew_id = _parse_key("C", v["crew"], "crew")
        site_id = _parse_key("S", v["site"], "site")
        ids = [_parse_key("I", i, "instrument") for i in v["instruments"]]
        day = dt.date.fromisoformat(v["date"])
        visit = Visit(campaign_id=campaign.id, crew_id=crew_id, site_id=site_id, day=day)
        db.session.add(visit)
        db.session.flush()
        jobs = book_batch(user, ids, booked_for=day, notes=f"campaign {campaign.name}, visit {visit.id}",
                          as_batch=False)  # the visit is their record: the crew goes to them, no delivery
        for iid, job in zip(ids, jobs, strict=True):
            db.session.add(VisitInstrument(visit_id=visit.id, instrument_id=iid, job_id=job.id))
        created.append(visit)
    campaign.state = "planned"
    figures = {k: plan[k] for k in ("cost", "tardiness_days", "visit_count", "lower_bound", "gap", "seconds")
               if isinstance(plan.get(k), (int, float))}
    figures["unplanned"] = len(plan.get("unplanned") or [])
    campaign.figures = figures
    db.session.flush()
    return created


def solve_campaign(campaign_id: int, progress: Callable[[float, str], None] | None = None,
                   time_limit: float | None = None) -> dict[str, Any]:
    """Export the campaign, solve it with the ``planning`` library and import the plan as visits.

    This is the body of the background task; ``progress(fraction, message)`` reports as it runs.
    The caller commits.

    :raises Conflict: the planning library is not installed, or it refused the instance
    """
    def report(fraction, message) -> None:
        campaign.progress, campaign.progress_message = float(fraction), str(message)[:300]
        if progress is not None:
            progress(fraction, message)

    campaign = get_or_404(Campaign, campaign_id)
    try:
        import planning  # noqa: PLC0415 — optional until the planning library is merged
    except ImportError as exc:
        raise Conflict("the planning library is not installed; export the instance and import a plan instead") \
            from exc
    # export and solve only read: nothing is flushed before the import, so a background task's
    # progress lines (written by another connection) never wait for this transaction's write lock
    with db.session.no_autoflush:
        report(0.0, "exporting the instance")
        instance = export_instance(campaign)
        if not instance["instruments"]:
            raise Conflict(f"campaign {campaign.id}: no instrument needs planning")
        try:
            plan = planning.solve(instance, time_limit=time_limit,
                                  progress=lambda f, m: report(0.05 + 0.85 * f, m))
        except planning.InstanceError as exc:
            raise Conflict(f"the planner refused the instance: {exc}") from exc
    report(0.9, "importing the plan")
    user = db.session.get(User, campaign.created_by_id) if campaign.created_by_id else None
    if user is None:
        user = db.session.execute(sa.select(User).where(User.role.in_(("lab_manager", "admin")))
                                  .order_by(User.id)).scalars().first()
    if user is None:  # book_batch would fail on None with an AttributeError
        raise Conflict("no lab manager or admin to book the plan's jobs")
    visits = import_plan(campaign, plan, user)
    report(1.0, f"{len(visits)} visits planned")
    return plan


def _visit_dict(visit, day=None, crew_id=None):
    return {"crew": crew_key(crew_id or visit.crew_id), "date": (day or visit.day).isoformat(),
            "site": site_key(visit.site_id), "instruments": [instrument_key(i.instrument_id) for i in visit.items]}


def _open_jobs_of(visit):
    return [item.job for item in visit.items if item.job is not None and item.job.state != "returned"]


def move_visit(visit: Visit, data: Mapping[str, Any]) -> Visit:
    """Move ``visit`` to another ``day`` and/or ``crew_id``, re-checked against every rule; nothing is
    saved on a conflict.

    :raises Conflict: the visit is cancelled, its work has started, or the move breaks a rule
    """
    check_version(visit, data["version"])
    if visit.state != "planned":
        raise Conflict(f"visit {visit.id} is {visit.state}; only a planned visit can be moved")
    day = data.get("day") or visit.day
    crew_id = data.get("crew_id") or visit.crew_id
    crew = db.session.get(Crew, crew_id)
    if crew is None:
        raise DomainValidationError({"crew_id": [f"no crew {crew_id}"]})
    jobs = _open_jobs_of(visit)
    if any(j.state != "booked" for j in jobs):
        raise Conflict(f"visit {visit.id}: work has started on its instruments; it cannot be moved")
    campaign = db.session.get(Campaign, visit.campaign_id)
    assert campaign is not None  # visits.campaign_id is a NOT NULL foreign key
    others = db.session.execute(sa.select(Visit).where(Visit.state == "planned", Visit.id != visit.id,
                                                       Visit.day == day)).scalars().all()
    included = [i.instrument_id for i in visit.items]
    instance = export_instance(campaign, include_instrument_ids=included)
    mine = _visit_dict(visit, day, crew_id)
    errors = rules.check_visits(instance, [mine])
    if day < today():
        errors.insert(0, f"{day} is in the past")
    for other in others:
        if other.crew_id == crew_id:
            errors.append(f"crew {crew.name} already has visit {other.id} on {day}")
    same_site = sum(1 for o in others if o.site_id == visit.site_id)
    if same_site + 1 > visit.site.max_crews_per_day:
        errors.append(f"the site already has {same_site} visit(s) on {day} (at most {visit.site.max_crews_per_day})")
    if errors:
        raise Conflict("; ".join(dict.fromkeys(errors)))
    visit.day, visit.crew_id = day, crew_id
    for job in jobs:
        job.booked_for = day
    db.session.flush()
    return visit


def _drop_booked_jobs(jobs, what):
    if any(j.state != "booked" for j in jobs):
        raise Conflict(f"{what}: work has started on some of its instruments; it cannot be cancelled")
    drop_booked_jobs(jobs)


def cancel_visit(visit: Visit, version: int | None) -> Visit:
    """Cancel a planned visit and the jobs it booked (refused once work on them has started)."""
    check_version(visit, version)
    if visit.state != "planned":
        raise Conflict(f"visit {visit.id} is {visit.state}; only a planned visit can be cancelled")
    jobs = _open_jobs_of(visit)
    for item in visit.items:
        item.job_id = None
    db.session.flush()
    _drop_booked_jobs(jobs, f"visit {visit.id}")
    visit.state = "cancelled"
    db.session.flush()
    return visit


# ---------------------------------------------------------------- bench capacity and bookings into it

def open_capacity(day: dt.date, kind: str, minutes: int) -> CapacityDay:
    """Open (or resize) ``minutes`` of bench capacity on ``day`` for instrument category ``kind``.

    Resizing keeps what bookings already hold: the new total may not be below the minutes taken.
    """
    if minutes < 0:
        raise DomainValidationError({"minutes": ["must not be negative"]})
    row = db.session.execute(sa.select(CapacityDay).where(CapacityDay.day == day, CapacityDay.kind == kind)
                             .with_for_update()).scalar_one_or_none()
    if row is None:
        row = CapacityDay(day=day, kind=kind, total_minutes=minutes, remaining_minutes=minutes)
        db.session.add(row)
    else:
        taken = row.total_minutes - row.remaining_minutes
        if minutes < taken:
            raise Conflict(f"{taken} minutes of {kind} on {day} are already booked; the total cannot be {minutes}")
        row.total_minutes, row.remaining_minutes = minutes, minutes - taken
    db.session.flush()
    return row


def _take(day, kind, minutes):
    """Take ``minutes`` of ``kind`` on ``day`` in one conditional UPDATE: the database decides who gets the
    last minutes (PostgreSQL's row lock re-checks the WHERE after a concurrent commit; SQLite's single
    writer lock serialises the statements), so two bookings can never both succeed past the total."""
    result = db.session.execute(
        sa.update(CapacityDay).where(CapacityDay.day == day, CapacityDay.kind == kind,
                                     CapacityDay.remaining_minutes >= minutes)
        .values(remaining_minutes=CapacityDay.remaining_minutes - minutes)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        left = db.session.execute(sa.select(CapacityDay.remaining_minutes).where(
            CapacityDay.day == day, CapacityDay.kind == kind)).scalar()
        raise Conflict(f"no capacity left on {day.isoformat()}: {kind} needs {minutes} minutes, "
                       f"{left or 0} left")


def _release(day, kind, minutes) -> None:
    db.session.execute(
        sa.update(CapacityDay).where(CapacityDay.day == day, CapacityDay.kind == kind)
        .values(remaining_minutes=CapacityDay.remaining_minutes + minutes)
        .execution_options(synchronize_session=False))


def _check_day(day, field="day"):
    if day < today():
        raise DomainValidationError({field: [f"{day.isoformat()} is in the past"]})
    holiday = db.session.get(Holiday, day)
    if holiday is not None:
        raise DomainValidationError({field: [f"{day.isoformat()} is a holiday ({holiday.name or 'closed'}); "
                                             "the lab is closed"]})


def booking_minutes(instruments: Iterable[Instrument]) -> dict[str, int]:
    """``{category: minutes}`` a batch needs; refuses types the lab does not verify."""
    minutes = {row.type_id: row.minutes for row in db.session.execute(sa.select(TypeMinutes)).scalars()}
    need: dict[str, int] = {}
    refused = []
    for inst in instruments:
        if inst.type_id not in minutes:
            refused.append(f"the lab does not verify {inst.type.code} (instrument {inst.id})")
            continue
        need[inst.type.category] = need.get(inst.type.category, 0) + minutes[inst.type_id]
    if refused:
        raise DomainValidationError({"instrument_ids": refused})
    return need


def _hold(day, need, field="day"):
    _check_day(day, field)
    open_kinds = dict(db.session.execute(sa.select(CapacityDay.kind, CapacityDay.total_minutes)
                                         .where(CapacityDay.day == day)).all())
    if not open_kinds:
        raise DomainValidationError({field: [f"the lab takes no bookings on {day.isoformat()} (a closed day)"]})
    missing = [k for k in need if k not in open_kinds]
    if missing:
        raise DomainValidationError({field: [f"the lab has no {', '.join(missing)} bench on {day.isoformat()}"]})
    for kind in sorted(need):  # one order everywhere: no deadlock between two multi-kind bookings
        _take(day, kind, need[kind])


def book_into_capacity(user: User, instrument_ids: Sequence[int], day: dt.date, notes: str = "") -> Booking:
    """Book a batch of one organisation's instruments into the bench capacity of ``day``: all or none.

    :raises DomainValidationError: a past day, a holiday or closed day, a type the lab does not verify,
        instruments of several organisations
    :raises Conflict: not enough capacity left ("no capacity left on DATE"), an instrument already booked
    :raises Forbidden: an instrument of another organisation (customers)
    """
    if not instrument_ids:
        raise DomainValidationError({"instrument_ids": ["name at least one instrument"]})
    if len(set(instrument_ids)) != len(instrument_ids):
        raise DomainValidationError({"instrument_ids": ["contains duplicates"]})
    instruments = [get_or_404(Instrument, iid) for iid in instrument_ids]
    for inst in instruments:
        if not sees_all_organisations(user):
            check_org(user, inst.owner_id, "write")
    owners = {inst.owner_id for inst in instruments}
    if len(owners) > 1:
        raise DomainValidationError({"instrument_ids": ["a booking is for one organisation's instruments"]})
    need = booking_minutes(instruments)
    _hold(day, need)
    jobs = book_batch(user, list(instrument_ids), booked_for=day, notes=notes)  # a batch: its delivery note
    booking = Booking(organisation_id=owners.pop(), day=day, minutes=need, notes=notes, booked_by_id=user.id)
    db.session.add(booking)
    db.session.flush()
    for inst, job in zip(instruments, jobs, strict=True):
        db.session.add(BookingInstrument(booking_id=booking.id, instrument_id=inst.id, job_id=job.id))
    db.session.flush()
    return booking


@jobs_ops.register_batch_cancel_check
def _capacity_booking_of(batch):
    """A batch booked into bench capacity is cancelled as that booking (which gives the minutes back)."""
    job_ids = [item.job_id for item in batch.items if item.job_id is not None]
    if not job_ids:
        return None
    booking_id = db.session.execute(sa.select(BookingInstrument.booking_id).join(
        Booking, Booking.id == BookingInstrument.booking_id).where(
        BookingInstrument.job_id.in_(job_ids), Booking.state != "cancelled").limit(1)).scalar()
    if booking_id is None:
        return None
    return (f"batch {batch.number} is booked into the lab's bench capacity (booking {booking_id}); cancel that "
            "booking instead, which also gives the bench time back")


def _booking_jobs(booking):
    return [item.job for item in booking.items if item.job is not None and item.job.state != "returned"]


def confirm_booking(booking: Booking, version: int | None) -> Booking:
    """The lab confirms a held booking."""
    check_version(booking, version)
    if booking.state not in ("held", "proposed"):
        raise Conflict(f"booking {booking.id} is {booking.state}; only a held booking can be confirmed")
    booking.state, booking.proposed_day = "confirmed", None
    db.session.flush()
    return booking


def propose_day(booking: Booking, version: int | None, day: dt.date) -> Booking:
    """The lab proposes another day; the booking keeps its capacity until the customer reschedules."""
    check_version(booking, version)
    if booking.state in ("cancelled",):
        raise Conflict(f"booking {booking.id} is cancelled")
    _check_day(day, "proposed_day")
    if day == booking.day:
        raise DomainValidationError({"proposed_day": ["is the day already booked"]})
    booking.state, booking.proposed_day = "proposed", day
    db.session.flush()
    return booking


def reschedule_booking(booking: Booking, version: int | None, day: dt.date) -> Booking:
    """Move a booking to ``day``: take the new day's capacity first, then give back the old day's."""
    check_version(booking, version)
    if booking.state == "cancelled":
        raise Conflict(f"booking {booking.id} is cancelled")
    if day == booking.day:
        raise DomainValidationError({"day": ["is the day already booked"]})
    jobs = _booking_jobs(booking)
    if any(j.state != "booked" for j in jobs):
        raise Conflict(f"booking {booking.id}: the lab has received some instruments; it cannot be moved")
    _hold(day, booking.minutes)
    for kind, minutes in booking.minutes.items():
        _release(booking.day, kind, minutes)
    accepted = booking.state == "proposed" and booking.proposed_day == day
    booking.day, booking.proposed_day = day, None
    booking.state = "confirmed" if accepted else "held"
    for job in jobs:
        job.booked_for = day
        batch = jobs_ops.batch_of(job)
        if batch is not None:  # its delivery note shows the new day
            batch.booked_for = day
    db.session.flush()
    return booking


def cancel_booking(booking: Booking, version: int | None) -> Booking:
    """Cancel a booking: its capacity is given back and its jobs (still only booked) are removed."""
    check_version(booking, version)
    if booking.state == "cancelled":
        raise Conflict(f"booking {booking.id} is already cancelled")
    jobs = _booking_jobs(booking)
    if any(j.state != "booked" for j in jobs):
        raise Conflict(f"booking {booking.id}: the lab has received some instruments; it cannot be cancelled")
    for item in booking.items:
        item.job_id = None
    db.session.flush()
    _drop_booked_jobs(jobs, f"booking {booking.id}")
    for kind, minutes in booking.minutes.items():
        _release(booking.day, kind, minutes)
    booking.state = "cancelled"
    db.session.flush()
    return booking


# ---------------------------------------------------------------- recall notices

def log_notice(organisation_id: int, channel: str, within_days: int, due_count: int, overdue_count: int,
               user: User | None) -> Notice:
    """Record that a recall notice was generated (page, csv or ics)."""
    row = Notice(organisation_id=organisation_id, channel=channel, within_days=within_days, due_count=due_count,
                 overdue_count=overdue_count, generated_by_id=getattr(user, "id", None))
    db.session.add(row)
    db.session.flush()
    return row
