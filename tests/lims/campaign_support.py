"""Shared by the campaign tests: a small campaign register on top of the fixture world, and a
validator of the instance format written from ../shared/planning/FORMAT.md (independent of the LIMS)."""
import datetime as dt
import re

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def next_monday(days_ahead=7):
    day = dt.date.today() + dt.timedelta(days=days_ahead)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def setup_register(app, world, start=None, weeks=6):
    """Minutes for the world's two types, a site profile for each customer, two crews, a holiday,
    and a campaign from ``start`` (a Monday) for ``weeks`` weeks. Returns ``(campaign id, start)``."""
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.campaigns import operations as ops
    from lims.modules.organisations.models import Organisation

    start = start or next_monday()
    with app.app_context(), acting_as(None, "tests"):
        ops.set_type_minutes("scale.price_computing", 6)
        ops.set_type_minutes("sphygmomanometer.nibp", 15)
        for key in ("market_a", "market_b", "hospital_a", "hospital_b"):
            ops.set_site(db.session.get(Organisation, world.orgs[key]),
                         {"setup_minutes": 40 if key.startswith("market") else 30, "max_crews_per_day": 1,
                          "closed_days": [start + dt.timedelta(days=2)]})
        ops.create_crew({"name": "Market crew", "type_codes": ["scale.price_computing"], "minutes_per_day": 420,
                         "members": ["Wang", "Li"], "days_off": [start + dt.timedelta(days=3)]})
        ops.create_crew({"name": "Medical crew", "type_codes": ["sphygmomanometer.nibp"], "minutes_per_day": 420})
        ops.add_holiday(start + dt.timedelta(days=1), "test holiday")
        campaign = ops.create_campaign({"name": "Spring", "start_on": start,
                                        "end_on": start + dt.timedelta(weeks=weeks, days=-3)}, None)
        db.session.commit()
        return campaign.id, start


def format_errors(instance):
    """Every way ``instance`` breaks FORMAT.md's instance rules (empty list when valid)."""
    errs = []

    def date_ok(v, where):
        if not isinstance(v, str) or not DATE.match(v):
            errs.append(f"{where}: not YYYY-MM-DD")
            return False
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            errs.append(f"{where}: not a date")
            return False
        return True

    def nonneg_int(v, where):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            errs.append(f"{where}: not a non-negative integer")

    if instance.get("format") != "lims-plan-instance/1":
        errs.append("format")
    allowed_top = {"format", "horizon", "costs", "kinds", "sites", "instruments", "crews"}
    if set(instance) != allowed_top:
        errs.append(f"top-level keys {sorted(instance)}")
    h = instance.get("horizon", {})
    if set(h) - {"start", "end", "workdays", "holidays"} or not {"start", "end", "workdays"} <= set(h):
        errs.append("horizon keys")
    if date_ok(h.get("start"), "start") and date_ok(h.get("end"), "end") and h["end"] < h["start"]:
        errs.append("end < start")
    if not all(isinstance(d, int) and 1 <= d <= 7 for d in h.get("workdays", [])):
        errs.append("workdays")
    for d in h.get("holidays", []):
        date_ok(d, "holiday")
    costs = instance.get("costs", {})
    if not isinstance(costs.get("visit_days"), (int, float)) or not isinstance(costs.get("unplanned_penalty_days"),
                                                                               (int, float)):
        errs.append("costs")
    kinds = instance.get("kinds", {})
    for k, v in kinds.items():
        if set(v) != {"minutes"}:
            errs.append(f"kind {k} keys")
        nonneg_int(v.get("minutes"), f"kind {k}")
    for name, required, optional in (("sites", {"id", "setup_minutes"}, {"max_crews_per_day", "closed"}),
                                     ("instruments", {"id", "site", "kind", "due"}, {"earliest"}),
                                     ("crews", {"id", "kinds", "minutes_per_day"}, {"off"})):
        ids = [row.get("id") for row in instance.get(name, [])]
        if len(ids) != len(set(ids)) or not all(isinstance(i, str) for i in ids):
            errs.append(f"{name}: ids not unique strings")
        for row in instance.get(name, []):
            if not required <= set(row) or set(row) - required - optional:
                errs.append(f"{name} {row.get('id')}: keys {sorted(row)}")
    site_ids = {s["id"] for s in instance.get("sites", [])}
    for s in instance.get("sites", []):
        nonneg_int(s.get("setup_minutes"), f"site {s['id']} setup")
        nonneg_int(s.get("max_crews_per_day", 1), f"site {s['id']} crews")
        for d in s.get("closed", []):
            date_ok(d, f"site {s['id']} closed")
    for i in instance.get("instruments", []):
        if i.get("site") not in site_ids or i.get("kind") not in kinds:
            errs.append(f"instrument {i.get('id')}: missing site or kind")
        date_ok(i.get("due"), f"instrument {i.get('id')} due")
        if "earliest" in i:
            date_ok(i["earliest"], "earliest")
    for c in instance.get("crews", []):
        nonneg_int(c.get("minutes_per_day"), f"crew {c['id']}")
        if any(k not in kinds for k in c.get("kinds", [])):
            errs.append(f"crew {c['id']}: unknown kind")
        for d in c.get("off", []):
            date_ok(d, f"crew {c['id']} off")
    return errs
