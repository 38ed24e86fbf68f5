"""``lims plan`` and ``lims campaign``: the campaign register, export/import/solve, bench capacity.

Bad input prints one ``Error: …`` line and exits with code 2; nothing is stored then.
"""
import datetime as dt
import json
from typing import IO

import click
from flask.cli import with_appcontext
from werkzeug.exceptions import HTTPException

from lims.core.audit import acting_as
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.campaigns.models import CAPACITY_KINDS, Campaign
from lims.modules.campaigns.operations import (
    add_holiday,
    create_campaign,
    create_crew,
    export_instance,
    import_plan,
    open_capacity,
    set_site,
    set_type_minutes,
    solve_campaign,
)
from lims.modules.organisations.models import Organisation
from lims.modules.users.operations import user_by_username

ID = click.IntRange(1, 2**31 - 1)


class PlanError(click.ClickException):
    exit_code = 2


def _day(text, what):
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise PlanError(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None


def _run(fn, *args):
    """Run an operation and commit; a refused one rolls back and becomes one line with exit code 2."""


    try:
        with acting_as(None, "cli"):
            out = fn(*args)
            db.session.commit()
        return out
    except DomainValidationError as exc:
        db.session.rollback()
        lines = [f"{k}: {m}" for k, v in exc.errors.items() for m in (v if isinstance(v, list) else [v])]
        raise PlanError("; ".join(lines[:5]) + (f" (+{len(lines) - 5} more)" if len(lines) > 5 else "")) from exc
    except Conflict as exc:
        db.session.rollback()
        raise PlanError(str(exc)) from exc
    except HTTPException as exc:
        db.session.rollback()
        raise PlanError(exc.description or exc.name) from exc


def _campaign(campaign_id):
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise PlanError(f"no campaign {campaign_id}")
    return campaign


def _planner_user(username):
    user = user_by_username(username)
    if user is None or user.role not in ("lab_manager", "admin"):
        raise PlanError(f"{username!r} is not a lab manager")
    return user


@click.group("plan")
def plan() -> None:
    """Campaign plans: export the instance, solve it, import a plan as visits."""


@plan.command("export")
@click.argument("campaign_id", type=ID)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="where to write the instance (lims-plan-instance/1)")
@with_appcontext
def plan_export(campaign_id: int, out: str) -> None:
    """Write CAMPAIGN_ID's planning instance from the register."""

    instance = export_instance(_campaign(campaign_id))
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(instance, fh, ensure_ascii=False, indent=1)
    click.echo(f"{len(instance['instruments'])} instruments, {len(instance['sites'])} sites, "
               f"{len(instance['crews'])} crews -> {out}", err=True)


@plan.command("import")
@click.argument("campaign_id", type=ID)
@click.argument("plan_file", type=click.File("rb"))
@click.option("--user", "username", default="lab_manager", show_default=True, help="the lab manager who books the jobs")
@with_appcontext
def plan_import(campaign_id: int, plan_file: IO[bytes], username: str) -> None:
    """Import PLAN_FILE (lims-plan/1) as CAMPAIGN_ID's visits: all or nothing."""

    try:
        data = json.loads(plan_file.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanError(f"{plan_file.name}: not a JSON plan ({exc})") from exc
    campaign, user = _campaign(campaign_id), _planner_user(username)
    visits = _run(import_plan, campaign, data, user)
    click.echo(f"{len(visits)} visits imported into campaign {campaign_id}")


@plan.command("solve")
@click.argument("campaign_id", type=ID)
@click.option("--time-limit", type=click.FloatRange(0.1, 3600), default=None, help="solver time limit in seconds")
@with_appcontext
def plan_solve(campaign_id: int, time_limit: float | None) -> None:
    """Export, solve (planning library) and import CAMPAIGN_ID's plan, printing progress."""

    _campaign(campaign_id)

    def progress(fraction, message) -> None:
        click.echo(f"{100 * fraction:5.1f}% {message}", err=True)

    result = _run(solve_campaign, campaign_id, progress, time_limit)
    click.echo(json.dumps({k: result.get(k) for k in ("cost", "visit_count", "lower_bound", "gap")}))


@click.group("campaign")
def campaign() -> None:
    """The campaign register: crews, sites, minutes per type, holidays, campaigns, bench capacity."""


@campaign.command("create")
@click.argument("name")
@click.option("--start", required=True)
@click.option("--end", required=True)
@click.option("--target", type=click.IntRange(1, 100), default=85, show_default=True)
@with_appcontext
def campaign_create(name: str, start: str, end: str, target: int) -> None:
    """Create a campaign for a period; prints its id."""

    row = _run(create_campaign, {"name": name, "start_on": _day(start, "--start"), "end_on": _day(end, "--end"),
                                 "target_percent": target}, None)
    click.echo(row.id)


@campaign.command("crew")
@click.argument("name")
@click.option("--types", required=True, help="comma-separated instrument type codes")
@click.option("--minutes", type=click.IntRange(0, 1440), default=420, show_default=True)
@click.option("--members", default="", help="comma-separated names")
@click.option("--off", default="", help="comma-separated days off (YYYY-MM-DD)")
@with_appcontext
def campaign_crew(name: str, types: str, minutes: int, members: str, off: str) -> None:
    """Add a crew."""

    data = {"name": name, "type_codes": [t.strip() for t in types.split(",") if t.strip()],
            "minutes_per_day": minutes, "members": [m.strip() for m in members.split(",") if m.strip()],
            "days_off": [_day(d.strip(), "--off") for d in off.split(",") if d.strip()]}
    click.echo(_run(create_crew, data).id)


@campaign.command("site")
@click.argument("organisation_id", type=ID)
@click.option("--setup", type=click.IntRange(0, 1440), default=30, show_default=True)
@click.option("--crews", type=click.IntRange(1, 50), default=1, show_default=True)
@click.option("--closed", default="", help="comma-separated closed days")
@with_appcontext
def campaign_site(organisation_id: int, setup: int, crews: int, closed: str) -> None:
    """Set a market's or hospital's campaign profile."""

    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise PlanError(f"no organisation {organisation_id}")
    data = {"setup_minutes": setup, "max_crews_per_day": crews,
            "closed_days": [_day(d.strip(), "--closed") for d in closed.split(",") if d.strip()]}
    click.echo(_run(set_site, org, data).id)


@campaign.command("minutes")
@click.argument("type_code")
@click.argument("minutes", type=click.IntRange(0, 1440))
@with_appcontext
def campaign_minutes(type_code: str, minutes: int) -> None:
    """Set the minutes one instrument of TYPE_CODE takes."""

    _run(set_type_minutes, type_code, minutes)


@campaign.command("holiday")
@click.argument("day")
@click.option("--name", default="")
@with_appcontext
def campaign_holiday(day: str, name: str) -> None:
    """Record a public holiday."""

    _run(add_holiday, _day(day, "DAY"), name)


@campaign.command("capacity")
@click.argument("day")
@click.argument("kind")
@click.argument("minutes", type=click.IntRange(0, 100000))
@with_appcontext
def campaign_capacity(day: str, kind: str, minutes: int) -> None:
    """Open MINUTES of bench capacity on DAY for instrument category KIND."""

    if kind not in CAPACITY_KINDS:
        raise PlanError(f"KIND must be one of {', '.join(CAPACITY_KINDS)}")
    _run(open_capacity, _day(day, "DAY"), kind, minutes)


COMMANDS = (plan, campaign)
