"""The rules of lims-plan/1 (../shared/planning/FORMAT.md) checked on visits of an instance.

Pure functions on the FORMAT's dicts (no database), used when a plan is imported and when the lab
manager moves a visit. The planning library checks whole plans too; these give the LIMS its own
messages for one visit without needing the solver installed.
"""
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any


def _d(text):
    return dt.date.fromisoformat(text)


def check_visits(instance: Mapping[str, Any], visits: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the list of rule violations (empty when every visit keeps rules 1–4 and 6, and rule 2 and
    the "at most one visit per instrument" part of rule 5 hold across ``visits``)."""
    horizon = instance["horizon"]
    start, end = _d(horizon["start"]), _d(horizon["end"])
    holidays = set(horizon.get("holidays", []))
    workdays = set(horizon["workdays"])
    kinds = {k: v["minutes"] for k, v in instance["kinds"].items()}
    sites = {s["id"]: s for s in instance["sites"]}
    crews = {c["id"]: c for c in instance["crews"]}
    instruments = {i["id"]: i for i in instance["instruments"]}
    errors, crew_days, seen = [], set(), set()
    site_days: dict[tuple[str, str], int] = {}
    for n, visit in enumerate(visits):
        where = f"visit {n + 1} ({visit.get('crew')} at {visit.get('site')} on {visit.get('date')})"
        crew, site = crews.get(visit.get("crew")), sites.get(visit.get("site"))
        try:
            day = _d(visit.get("date"))
        except (TypeError, ValueError):
            errors.append(f"{where}: date is not YYYY-MM-DD")
            continue
        if crew is None or site is None:
            errors.append(f"{where}: unknown {'crew' if crew is None else 'site'}")
            continue
        iso = day.isoformat()
        if not start <= day <= end:
            errors.append(f"{where}: {iso} is outside the campaign {start}..{end}")
        if day.isoweekday() not in workdays:
            errors.append(f"{where}: {iso} is not a workday")
        if iso in holidays:
            errors.append(f"{where}: {iso} is a holiday")
        if iso in crew.get("off", []):
            errors.append(f"{where}: the crew is off on {iso}")
        if iso in site.get("closed", []):
            errors.append(f"{where}: the site is closed on {iso}")
        if (crew["id"], iso) in crew_days:
            errors.append(f"{where}: the crew already has a visit on {iso}")
        crew_days.add((crew["id"], iso))
        site_days[(site["id"], iso)] = site_days.get((site["id"], iso), 0) + 1
        if site_days[(site["id"], iso)] > site.get("max_crews_per_day", 1):
            errors.append(f"{where}: more than {site.get('max_crews_per_day', 1)} crew(s) at the site on {iso}")
        ids = visit.get("instruments") or []
        if not ids:
            errors.append(f"{where}: a visit needs at least one instrument")
        minutes = site["setup_minutes"]
        for iid in ids:
            inst = instruments.get(iid)
            if inst is None:
                errors.append(f"{where}: unknown instrument {iid}")
                continue
            minutes += kinds[inst["kind"]]
            if inst["site"] != site["id"]:
                errors.append(f"{where}: instrument {iid} is not at this site")
            if inst["kind"] not in crew["kinds"]:
                errors.append(f"{where}: the crew does not verify {inst['kind']} (instrument {iid})")
            if inst.get("earliest") and iso < inst["earliest"]:
                errors.append(f"{where}: instrument {iid} is not available before {inst['earliest']}")
            if iid in seen:
                errors.append(f"{where}: instrument {iid} is in more than one visit")
            seen.add(iid)
        if minutes > crew["minutes_per_day"]:
            errors.append(f"{where}: needs {minutes} minutes, the crew has {crew['minutes_per_day']}")
    return errors


INSTANCE_FORMAT = "lims-plan-instance/1"
PLAN_FORMAT = "lims-plan/1"
