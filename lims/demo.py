"""A realistic demo data set: the lab, two markets with ~200 scales, two hospitals, one user per role."""
from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from flask_migrate import upgrade
from sqlalchemy import select

from lims.config import MIGRATIONS_DIR
from lims.core.audit import acting_as
from lims.core.db import now_utc
from lims.extensions import db
from lims.modules.campaigns import operations as camp
from lims.modules.campaigns.operations import book_into_capacity
from lims.modules.complaints.operations import report, reporter_key
from lims.modules.equipment import operations as eq
from lims.modules.equipment.models import Bench, Instrument
from lims.modules.issuance.models import Certificate
from lims.modules.issuance.operations import demo_result_notes, issue_demo_certificates
from lims.modules.jobs.operations import book_batch, transition, valid_until
from lims.modules.measurements.models import MeasurementSession, Reading
from lims.modules.organisations.models import Organisation
from lims.modules.organisations.operations import create_organisation
from lims.modules.procedures.operations import enter_result, job_plan
from lims.modules.users.operations import create_user

if TYPE_CHECKING:
    from flask import Flask

    from lims.modules.users.models import User

DEMO_USERS = [
    {"username": "admin", "password": "admin-demo-2026", "role": "admin", "org": "lab",
     "organisation": "省计量测试研究院", "summary": "everything: organisations, users, types"},
    {"username": "manager", "password": "manager-demo-2026", "role": "lab_manager", "org": "lab",
     "organisation": "省计量测试研究院", "summary": "approves and signs; standards and benches"},
    {"username": "tech", "password": "tech-demo-2026", "role": "technician", "org": "lab",
     "organisation": "省计量测试研究院", "summary": "receives, verifies and submits jobs"},
    {"username": "market", "password": "market-demo-2026", "role": "market_manager", "org": "market0",
     "organisation": "东门农贸市场", "summary": "the scales of own market"},
    {"username": "hospital", "password": "hospital-demo-2026", "role": "equipment_officer", "org": "hospital0",
     "organisation": "市第一人民医院", "summary": "the instruments of own hospital; books batches"},
    {"username": "hospital2", "password": "hospital2-demo-2026", "role": "equipment_officer", "org": "hospital1",
     "organisation": "市妇幼保健院", "summary": "a second hospital: race 'hospital' for the last bench minutes"},
]

ORGS = {
    "lab": dict(kind="lab", name="省计量测试研究院", address="建设路 18 号",
                district="市辖区", contact="业务受理 0871-6000000"),
    "market0": dict(kind="market", name="东门农贸市场", address="东门街 3 号",
                district="五华区", contact="李经理 0871-6500001"),
    "market1": dict(kind="market", name="西山农贸市场", address="西山路 77 号",
                district="西山区", contact="王经理 0871-6500002"),
    "hospital0": dict(kind="hospital", name="市第一人民医院", address="人民路 1 号",
                district="五华区", contact="设备科"),
    "hospital1": dict(kind="hospital", name="市妇幼保健院", address="健康路 9 号",
                district="官渡区", contact="设备科"),
}

SCALES = [("上海友声", "TCS-30", 30000, 10), ("凯丰", "ACS-15", 15000, 5), ("大红鹰", "ACS-30", 30000, 10),
          ("托利多", "bPro-15", 15000, 5)]

#: the demo benches; their ports are the project's simulators (instruments/sim/devices), each matching the
#: instruments measured on it: a 30 kg weighing indicator for the market scales (up to 30 kg, e = 5 g or 10 g),
#: a 40 kPa pressure reference for the sphygmomanometers, a thermometer readout in a bath for the thermometers
BENCHES = [
    {"name": "称重台 1 / Weighing bench 1", "location": "力学室",
     "ports": [{"role": "weighing", "port": "sim://ind560", "driver": "mtsics"}]},
    {"name": "医疗台 1 / Medical bench 1", "location": "医学计量室",
     "ports": [{"role": "pressure", "port": "sim://dpi740", "driver": "dpi740"},
               {"role": "thermometer", "port": "sim://fluke1502", "driver": "fluke1502"}]},
]


def ensure_demo(app: Flask) -> bool:
    """Upgrade the database to the newest schema and load the demo data once."""

    upgrade(directory=MIGRATIONS_DIR)

    if db.session.execute(select(Organisation).where(Organisation.name == ORGS["lab"]["name"])).first():
        return False
    with acting_as(None, "demo"):
        load_demo()
    db.session.commit()
    return True


def load_demo(seed: int = 2026) -> dict[str, User]:
    """Create the demo organisations, users, standards, benches, instruments and jobs."""

    rng = random.Random(seed)
    orgs = {key: create_organisation(data) for key, data in ORGS.items()}
    users = {u["username"]: create_user(u["username"], u["username"].title(), u["role"], orgs[u["org"]].id,
                                        u["password"]) for u in DEMO_USERS}
    today = dt.date.today()
    stds = _standards(eq, today)
    for bench, standards in zip(BENCHES, ([stds[0]], [stds[1], stds[2]]), strict=True):
        eq.create_bench({**bench, "standard_ids": [s.id for s in standards]})
    for m in ("market0", "market1"):
        for i in range(100):
            maker, model, mx, e = rng.choice(SCALES)
            inst = eq.create_instrument({
                "type_code": "scale.price_computing", "manufacturer": maker, "model": model,
                "serial_number": f"{m[-1]}{2024000 + i:07d}", "location": f"{rng.randint(1, 60)} 号摊位",
                "characteristics": {"max": mx, "min": 20 * e, "e": e, "d": e, "accuracy_class": "III"}}, orgs[m])
            _history(inst, rng, today)
    for h in ("hospital0", "hospital1"):
        for i in range(40):
            code, chars, maker = rng.choice([
                ("sphygmomanometer.nibp", {"range_min": 0, "range_max": 300, "resolution": 1}, "欧姆龙"),
                ("sphygmomanometer.aneroid", {"range_min": 0, "range_max": 300, "resolution": 2}, "鱼跃"),
                ("thermometer.clinical_electronic", {"range_min": 32, "range_max": 42.9, "resolution": 0.1}, "欧姆龙")])
            inst = eq.create_instrument({"type_code": code, "manufacturer": maker, "model": code.split(".")[-1].upper(),
                                         "serial_number": f"H{h[-1]}-{i:04d}", "location": rng.choice(
                                             ["心内科", "急诊科", "儿科病房", "门诊部"]),
                                         "characteristics": chars}, orgs[h])
            _history(inst, rng, today)
    db.session.flush()

    _campaign_register(orgs, today)
    issue_demo_certificates(users)
    _work_queue(users, orgs, today)
    _campaign(users, orgs, today)
    _public_complaint(orgs["market0"])
    return users


def _public_complaint(market) -> None:
    """A problem a shopper reported from a sticker's check page, waiting for the market manager."""

    cert = db.session.execute(select(Certificate).join(Instrument, Certificate.instrument_id == Instrument.id)
                              .where(Instrument.owner_id == market.id).order_by(Certificate.id)).scalars().first()
    if cert is None:
        return
    with acting_as(None, "public"):
        report(cert.instrument, {"text": "买了一斤苹果，回家称只有九两，请检查这台秤。", "phone": ""},
               reporter_key("demo"), "demo-complaint".ljust(64, "0"), cert)


def _work_queue(users, orgs, today) -> None:
    """Work in every state, so each role has something to do when it logs in.

    The hospital has booked a batch of eight instruments for next week; of four scales the market
    booked, the lab has received one, one is on the weighing bench, and two wait for the lab
    manager's approval (the technician submitted them, so the manager may approve: four-eyes) — one
    measured point by point through the verification procedure, one with result lines in its notes as well.
    """

    def first(org, n, skip=0):
        return db.session.execute(select(Instrument.id).where(Instrument.owner_id == org.id)
                                  .order_by(Instrument.id).offset(skip).limit(n)).scalars().all()


    book_into_capacity(users["hospital"], first(orgs["hospital0"], 8), _weekday(today + dt.timedelta(days=7)),
                       "心内科、急诊科血压计及体温计 / cardiology and emergency")
    jobs = book_batch(users["market"], first(orgs["market0"], 4, skip=20), booked_for=today,
                      notes="东门市场集中送检 / market batch")
    bench = db.session.execute(select(Bench).order_by(Bench.id)).scalars().first()  # the weighing bench
    assert bench is not None, "the demo's benches are loaded before its work queue"
    tech = users["tech"]
    plan = {1: ["receive"], 2: ["receive", "start"], 3: ["receive", "start", "measure", "submit"],
            4: ["receive", "start", "measure", "submit"]}  # no pass without every test point measured
    jobs += book_batch(users["market"], first(orgs["market0"], 1, skip=24), booked_for=today)
    for i, job in enumerate(jobs):
        for action in plan.get(i, []):
            if action == "measure":
                _measure_every_point(job, tech)
                continue
            by_action: dict[str, dict[str, Any]] = {
                "start": {"bench_id": bench.id},
                "submit": {"result": "pass", "notes": "" if i == 3 else demo_result_notes(job.instrument, False)}}
            data = by_action.get(action, {})
            transition(job, action, tech, {**data, "version": job.version})


def _measure_every_point(job, user) -> None:
    """Measure every test point at the bench: three stored readings per weighing point (the flash-point method
    with its ΔL), the repeatability and eccentricity items; each point's budget comes from the weights'
    certificates and these readings (issue 13)."""

    plan = job_plan(job)
    assert plan is not None and plan.e is not None, "every demo scale has a procedure with a verification interval"
    for point in plan.points:
        entry: dict[str, Any] = {"point": point.id}
        if point.test == "error":
            session = MeasurementSession(job_id=job.id, bench_id=job.bench_id, driver="mtsics", port="sim://ind560",
                                         count=3, test_point=point.id, started_by_id=user.id, state="completed",
                                         accepted_count=3, last_sequence=3, ended_dt=now_utc())
            db.session.add(session)
            db.session.flush()
            for seq in (1, 2, 3):
                db.session.add(Reading(session_id=session.id, sequence=seq, raw=f"S S {point.nominal} g".encode(),
                                       value=float(point.nominal), unit=point.unit, is_stable=True,
                                       test_point=point.id, instrument_dt=now_utc()))
            db.session.flush()
            entry.update(session_id=session.id, sequences=[1, 2, 3], flash_delta=plan.e * 3 / 10,
                         zero_error=plan.e / 10)
        elif point.test == "limit":  # zero-setting, tare, discrimination, price check: a value within the limits
            entry["indication"] = 0 if point.lower <= 0 <= point.upper else point.lower
        else:  # repeatability, eccentricity: the same load read several times
            entry["indications"] = [point.nominal] * point.count
        enter_result(job, user, entry)


def _history(inst, rng, today) -> None:
    """Give an instrument a plausible verification history (all statuses occur)."""
    roll = rng.random()
    period = inst.type.period_months or 12
    if roll < 0.15:
        return

    verified_on = today - dt.timedelta(days=rng.randint(0, period * 31 + 40))
    inst.last_verified_on = verified_on
    inst.last_result = "fail" if roll > 0.95 else "pass"
    inst.verified_until = valid_until(verified_on, period) if inst.last_result == "pass" else None


def _standards(eq, today):
    common = {"certificate_issuer": "中国计量科学研究院 / NIM China", "calibrated_on": today - dt.timedelta(days=100),
              "due_on": today + dt.timedelta(days=265)}
    return [
        eq.create_standard({**common, "code": "W-M1-01", "name": "M1 等级砝码组 1 mg–20 kg", "kind": "weight_set",
                            "accuracy_class": "M1", "measuring_range": "1 mg – 20 kg",
                            "certificate_number": "NIM-2026-W-0311",
                            "values": [{"nominal": n, "value": v, "U": u, "k": 2, "unit": "g"} for n, v, u in (
                                ("20 kg", 20000.30, 0.33), ("10 kg", 10000.12, 0.17), ("5 kg", 5000.05, 0.08),
                                ("2 kg", 2000.02, 0.033), ("1 kg", 1000.008, 0.017), ("500 g", 500.004, 0.008),
                                ("200 g", 200.002, 0.003), ("100 g", 100.001, 0.0017))]}),
        eq.create_standard({**common, "code": "P-DPI-01", "name": "数字压力计 Druck DPI 104", "kind": "pressure",
                            "accuracy_class": "0.05 级", "measuring_range": "0–40 kPa",
                            "certificate_number": "NIM-2026-P-0142",
                            "values": [{"nominal": "20 kPa", "value": 20.001, "U": 0.006, "k": 2, "unit": "kPa"}]}),
        eq.create_standard({**common, "code": "T-1529-01", "name": "测温仪 Fluke 1529 + 5615 PRT",
                            "kind": "thermometer", "measuring_range": "0–50 °C",
                            "certificate_number": "NIM-2026-T-0077",
                            "values": [{"nominal": "37 °C", "value": 37.003, "U": 0.012, "k": 2, "unit": "°C"}]}),
    ]


def _weekday(day):
    """``day``, or the Monday after it when it falls on a weekend."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _campaign_register(orgs, today) -> None:
    """Minutes per type, the markets' and the second hospital's site profiles, two crews, and bench capacity
    on the weekdays of the next two weeks — one of them with only 15 pressure minutes left, for which the two
    equipment officers can race (exactly one gets it). The first hospital brings its batches to the bench."""

    for code, minutes in (("scale.price_computing", 6), ("scale.digital", 6), ("sphygmomanometer.nibp", 15),
                          ("sphygmomanometer.aneroid", 12), ("thermometer.clinical_electronic", 8)):
        camp.set_type_minutes(code, minutes)
    for key in ("market0", "market1", "hospital1"):
        camp.set_site(orgs[key], {"setup_minutes": 40 if key.startswith("market") else 30,
                                  "max_crews_per_day": 2 if key.startswith("market") else 1,
                                  "closed_days": [today + dt.timedelta(days=30)]})
    camp.create_crew({"name": "市场一组 / Market crew 1", "members": ["张伟", "刘洋"], "minutes_per_day": 420,
                      "type_codes": ["scale.price_computing", "scale.digital"]})
    camp.create_crew({"name": "医疗一组 / Medical crew 1", "members": ["陈静", "赵磊"], "minutes_per_day": 420,
                      "type_codes": ["sphygmomanometer.nibp", "sphygmomanometer.aneroid",
                                     "thermometer.clinical_electronic"]})
    batch_day = _weekday(today + dt.timedelta(days=7))
    days = [d for d in (today + dt.timedelta(days=n) for n in range(1, 15)) if d.isoweekday() <= 5]
    for day in days:
        camp.open_capacity(day, "scale", 240)
        camp.open_capacity(day, "thermometer", 120)
        camp.open_capacity(day, "pressure", 180)
    last = next(d for d in days if d > today + dt.timedelta(days=1) and d != batch_day)
    camp.open_capacity(last, "pressure", 15)  # one automated sphygmomanometer fits


def _campaign(users, orgs, today) -> None:
    """A campaign starting next Monday, planned into visits (the plan comes from the ``planning`` library
    when it is installed, else from a plain earliest-due fill written here: demo data only, it keeps
    FORMAT.md's rules but does not optimise); then two newly bought sphygmomanometers at the second
    hospital, not yet booked, for the race for the last bench minutes."""

    start = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
    campaign = camp.create_campaign({"name": "2026 免费检定 / Free verification campaign",
                                     "start_on": start, "end_on": start + dt.timedelta(weeks=12, days=-3),
                                     "target_percent": 85}, users["manager"])
    instance = camp.export_instance(campaign)
    try:
        import planning  # the planner (SciPy) is imported only when the demo plans its campaign

        plan = planning.solve(instance, time_limit=10)
    except ImportError:
        plan = _earliest_due_plan(instance)
    camp.import_plan(campaign, plan, users["manager"])
    for n in range(2):
        eq.create_instrument({"type_code": "sphygmomanometer.nibp", "manufacturer": "欧姆龙", "model": "HBP-9030",
                              "serial_number": f"H1-NEW-{n}", "location": "体检中心",
                              "characteristics": {"range_min": 0, "range_max": 300, "resolution": 1}},
                             orgs["hospital1"])


def _earliest_due_plan(instance):
    """Fill each crew's workdays site by site, earliest due first (demo fallback; keeps the rules)."""
    h = instance["horizon"]
    first, last = dt.date.fromisoformat(h["start"]), dt.date.fromisoformat(h["end"])
    minutes = {k: v["minutes"] for k, v in instance["kinds"].items()}
    sites = {s["id"]: s for s in instance["sites"]}
    visits, taken = [], set()
    for crew in instance["crews"]:
        day = first
        for site_id in sorted(sites):
            todo = sorted((i for i in instance["instruments"] if i["site"] == site_id and i["kind"] in crew["kinds"]
                           and i["id"] not in taken), key=lambda i: i["due"])
            while todo:
                while day <= last and (day.isoweekday() not in h["workdays"] or day.isoformat() in h["holidays"]
                                       or day.isoformat() in crew.get("off", [])
                                       or day.isoformat() in sites[site_id].get("closed", [])):
                    day += dt.timedelta(days=1)
                if day > last:
                    break
                room, batch = crew["minutes_per_day"] - sites[site_id]["setup_minutes"], []
                while todo and minutes[todo[0]["kind"]] <= room:
                    room -= minutes[todo[0]["kind"]]
                    batch.append(todo.pop(0)["id"])
                if not batch:
                    break
                taken.update(batch)
                visits.append({"crew": crew["id"], "date": day.isoformat(), "site": site_id, "instruments": batch})
                day += dt.timedelta(days=1)
    return {"format": "lims-plan/1", "visits": visits}
