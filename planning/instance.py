"""Reading and validating a campaign instance (``lims-plan-instance/1``, see docs/planning.md).

:func:`validate_instance` checks every rule of the contract and raises :class:`InstanceError` with
one line naming the field; :func:`compile_instance` turns a valid instance into integer arrays that
the solver, the bound and the checker share (dates become day offsets from ``horizon.start``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re

__all__ = ["InstanceError", "Instance", "validate_instance", "compile_instance", "INSTANCE_FORMAT", "PLAN_FORMAT"]

INSTANCE_FORMAT = "lims-plan-instance/1"
PLAN_FORMAT = "lims-plan/1"
_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")


class InstanceError(ValueError):
    """The instance breaks the contract; the message is one line naming the field."""


def _fail(field, problem):
    raise InstanceError(f"{field}: {problem}")


def _obj(value, field):
    if not isinstance(value, dict):
        _fail(field, "must be an object")
    return value


def _list(value, field):
    if not isinstance(value, list):
        _fail(field, "must be a list")
    return value


def _req(obj, key, field):
    if key not in obj:
        _fail(f"{field}.{key}" if field else key, "is required")
    return obj[key]


def parse_date(value, field):
    if not isinstance(value, str) or not _DATE.match(value):
        _fail(field, f"must be a date YYYY-MM-DD, got {value!r:.40}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(field, f"is not a real date: {value!r}")


def _int(value, field, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(field, f"must be an integer, got {value!r:.40}")
    if value < minimum:
        _fail(field, f"must not be negative, got {value}")
    return value


def _number(value, field):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(field, f"must be a finite number, got {value!r:.40}")
    return float(value)


def _id(value, field, seen):
    if not isinstance(value, str) or not value:
        _fail(field, "must be a non-empty string")
    if value in seen:
        _fail(field, f"duplicate id {value!r}")
    seen.add(value)
    return value


def _dates(obj, key, field):
    values = _list(obj.get(key, []), f"{field}.{key}")
    return [parse_date(v, f"{field}.{key}[{i}]") for i, v in enumerate(values)]


@dataclasses.dataclass
class Instance:
    """A validated instance as plain arrays; day ``t`` means ``start + t`` days."""

    start: dt.date
    ndays: int                      # end - start + 1
    workday: list                   # bool per day: ISO weekday in workdays and not a holiday
    visit_days: float
    penalty: float
    kind_ids: list
    kind_minutes: list
    site_ids: list
    site_setup: list
    site_cap: list                  # max crews per day
    site_closed: list               # set of day offsets per site
    inst_ids: list
    inst_site: list
    inst_kind: list
    inst_due: list                  # day offset (may be negative or beyond the horizon)
    inst_earliest: list             # day offset, clamped to >= 0
    crew_ids: list
    crew_kinds: list                # frozenset of kind indexes
    crew_minutes: list
    crew_off: list                  # set of day offsets per crew

    def date(self, t):
        return (self.start + dt.timedelta(days=t)).isoformat()

    def offset(self, date):
        return (date - self.start).days

    def unplanned_cost(self, i):
        return max(0, self.ndays - self.inst_due[i]) + self.penalty

    def crew_available(self, c, t):
        return 0 <= t < self.ndays and self.workday[t] and t not in self.crew_off[c]

    def site_open(self, s, t):
        return 0 <= t < self.ndays and self.workday[t] and t not in self.site_closed[s]

    def crew_types(self) -> tuple[list, dict]:
        """``(types, type_of)``: the distinct (kinds, minutes per day) of the crews in first-seen order, and
        each one's index (crews of one type are interchangeable to the bound and the volume targets)."""
        types: list = []
        type_of: dict = {}
        for c in range(len(self.crew_ids)):
            key = (self.crew_kinds[c], self.crew_minutes[c])
            if key not in type_of:
                type_of[key] = len(types)
                types.append(key)
        return types, type_of

    def instruments_by_site(self) -> dict[int, list[int]]:
        """``{site index: [instrument indexes]}`` in instrument order."""
        by_site: dict[int, list[int]] = {}
        for i, s in enumerate(self.inst_site):
            by_site.setdefault(s, []).append(i)
        return by_site


def validate_instance(instance):
    """Check ``instance`` against the contract; raise :class:`InstanceError` naming the field."""
    compile_instance(instance)


def compile_instance(instance) -> Instance:
    """Validate ``instance`` (a dict from JSON) and return it as an :class:`Instance`."""
    _obj(instance, "instance")
    fmt = _req(instance, "format", "")
    if fmt != INSTANCE_FORMAT:
        _fail("format", f"must be {INSTANCE_FORMAT!r}, got {fmt!r:.60}")
    horizon = _obj(_req(instance, "horizon", ""), "horizon")
    start = parse_date(_req(horizon, "start", "horizon"), "horizon.start")
    end = parse_date(_req(horizon, "end", "horizon"), "horizon.end")
    if end < start:
        _fail("horizon.end", f"{end} is before horizon.start {start}")
    workdays = _list(_req(horizon, "workdays", "horizon"), "horizon.workdays")
    for i, w in enumerate(workdays):
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= 7:
            _fail(f"horizon.workdays[{i}]", f"must be an ISO weekday 1..7, got {w!r:.20}")
    _req(horizon, "holidays", "horizon")
    holidays = set(_dates(horizon, "holidays", "horizon"))
    costs = _obj(_req(instance, "costs", ""), "costs")
    visit_days = _number(_req(costs, "visit_days", "costs"), "costs.visit_days")
    penalty = _number(_req(costs, "unplanned_penalty_days", "costs"), "costs.unplanned_penalty_days")

    kinds = _obj(_req(instance, "kinds", ""), "kinds")
    kind_ids: list[str] = []
    kind_minutes: list[int] = []
    kind_index: dict[str, int] = {}
    for name, spec in kinds.items():
        if not name:
            _fail("kinds", "a kind name must not be empty")
        spec = _obj(spec, f"kinds.{name}")
        kind_index[name] = len(kind_ids)
        kind_ids.append(name)
        kind_minutes.append(_int(_req(spec, "minutes", f"kinds.{name}"), f"kinds.{name}.minutes"))

    ndays = (end - start).days + 1
    wset = set(workdays)
    workday = []
    for t in range(ndays):
        day = start + dt.timedelta(days=t)
        workday.append(day.isoweekday() in wset and day not in holidays)

    def offsets(dates):
        return {(d - start).days for d in dates if start <= d <= end}

    sites = _list(_req(instance, "sites", ""), "sites")
    site_ids, site_setup, site_cap, site_closed, site_index = [], [], [], [], {}
    seen: set[str] = set()
    for n, site in enumerate(sites):
        field = f"sites[{n}]"
        _obj(site, field)
        sid = _id(_req(site, "id", field), f"{field}.id", seen)
        site_index[sid] = n
        site_ids.append(sid)
        site_setup.append(_int(_req(site, "setup_minutes", field), f"{field}.setup_minutes"))
        site_cap.append(_int(site.get("max_crews_per_day", 1), f"{field}.max_crews_per_day"))
        site_closed.append(offsets(_dates(site, "closed", field)))

    instruments = _list(_req(instance, "instruments", ""), "instruments")
    inst_ids, inst_site, inst_kind, inst_due, inst_earliest, seen = [], [], [], [], [], set()
    for n, inst in enumerate(instruments):
        field = f"instruments[{n}]"
        _obj(inst, field)
        inst_ids.append(_id(_req(inst, "id", field), f"{field}.id", seen))
        site = _req(inst, "site", field)
        if not isinstance(site, str) or site not in site_index:
            _fail(f"{field}.site", f"unknown site {site!r:.40}")
        kind = _req(inst, "kind", field)
        if not isinstance(kind, str) or kind not in kind_index:
            _fail(f"{field}.kind", f"unknown kind {kind!r:.40}")
        inst_site.append(site_index[site])
        inst_kind.append(kind_index[kind])
        inst_due.append((parse_date(_req(inst, "due", field), f"{field}.due") - start).days)
        earliest = inst.get("earliest")
        inst_earliest.append(0 if earliest is None else
                             max(0, (parse_date(earliest, f"{field}.earliest") - start).days))

    crews = _list(_req(instance, "crews", ""), "crews")
    crew_ids, crew_kinds, crew_minutes, crew_off, seen = [], [], [], [], set()
    for n, crew in enumerate(crews):
        field = f"crews[{n}]"
        _obj(crew, field)
        crew_ids.append(_id(_req(crew, "id", field), f"{field}.id", seen))
        ks = _list(_req(crew, "kinds", field), f"{field}.kinds")
        for j, k in enumerate(ks):
            if not isinstance(k, str) or k not in kind_index:
                _fail(f"{field}.kinds[{j}]", f"unknown kind {k!r:.40}")
        crew_kinds.append(frozenset(kind_index[k] for k in ks))
        crew_minutes.append(_int(_req(crew, "minutes_per_day", field), f"{field}.minutes_per_day"))
        crew_off.append(offsets(_dates(crew, "off", field)))

    return Instance(start=start, ndays=ndays, workday=workday, visit_days=visit_days, penalty=penalty,
                    kind_ids=kind_ids, kind_minutes=kind_minutes, site_ids=site_ids, site_setup=site_setup,
                    site_cap=site_cap, site_closed=site_closed, inst_ids=inst_ids, inst_site=inst_site,
                    inst_kind=inst_kind, inst_due=inst_due, inst_earliest=inst_earliest, crew_ids=crew_ids,
                    crew_kinds=crew_kinds, crew_minutes=crew_minutes, crew_off=crew_off)
