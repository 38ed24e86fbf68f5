"""Every planned item judged at its limits: exactly ±MPE (or on the limit) passes, one resolution step beyond fails,
for initial and subsequent verification; asymmetric and one-sided limits; the JJG 1204-2025 switch on its date."""
import datetime as dt
from decimal import Decimal

import pytest

from lims.modules.budgets.evaluate import judge
from lims.modules.procedures.definitions import load_all, load_editions, plan
from lims.modules.procedures.operations import _evaluate

PROCS = load_all(day=dt.date(2026, 12, 2))
INSTRUMENTS = {  # type: (characteristics, resolution step of the indication)
    "scale.price_computing": ({"max": 30000, "min": 200, "e": 10, "d": 10, "accuracy_class": "III"}, Decimal(10)),
    "scale.digital": ({"max": 15000, "min": 100, "e": 5, "d": 5, "accuracy_class": "III"}, Decimal(5)),
    "sphygmomanometer.nibp": ({"range_min": 0, "range_max": 300, "resolution": 1}, Decimal(1)),
    "sphygmomanometer.aneroid": ({"range_min": 0, "range_max": 300, "resolution": 2}, Decimal(2)),
    "sphygmomanometer.mercury": ({"range_min": 0, "range_max": 300, "resolution": 2}, Decimal(2)),
    "thermometer.clinical_electronic": ({"range_min": 32, "range_max": 42.9, "resolution": 0.1}, Decimal("0.1")),
}
ITEM_STEP = {"g": None, "mmHg": Decimal("0.5"), "mmHg/min": Decimal("0.5"), "mmHg/s": Decimal("0.1"),
             "元": Decimal("0.01")}


def verdict(p, point, values):
    data = {"indications": values} if point.test != "error" else {}
    return _evaluate(point, values, point.nominal, p, data, judge)[3]["verdict"]


def cases():
    for code, (chars, step) in INSTRUMENTS.items():
        for kind in ("initial", "subsequent"):
            yield pytest.param(code, chars, step, kind, id=f"{code}-{kind}")


@pytest.mark.parametrize("code, chars, step, kind", list(cases()))
def test_every_point_at_and_one_step_beyond_its_limits(code, chars, step, kind):
    p = plan(PROCS[code], chars, kind, code)
    seen = 0
    for pt in p.points:
        if pt.test == "error":  # E = I − L judged against ±MPE
            for sign in (1, -1):
                assert verdict(p, pt, [pt.nominal + sign * pt.mpe]) == "pass", (pt.id, sign)
                assert verdict(p, pt, [pt.nominal + sign * (pt.mpe + step)]) == "fail", (pt.id, sign)
        elif pt.test == "limit":  # a value between lower and upper (either may be open)
            s = step if pt.unit == p.unit and p.kind == "scale" else ITEM_STEP[pt.unit]
            for bound, beyond in ((pt.lower, pt.lower - s), (pt.upper, pt.upper + s)):
                if bound.is_finite():
                    assert verdict(p, pt, [bound]) == "pass", (pt.id, bound)
                    assert verdict(p, pt, [beyond]) == "fail", (pt.id, beyond)
        elif pt.test == "eccentricity":  # every position within ±MPE
            base = [pt.nominal] * pt.count
            assert verdict(p, pt, base[:-1] + [pt.nominal + pt.mpe]) == "pass"
            assert verdict(p, pt, base[:-1] + [pt.nominal - pt.mpe - step]) == "fail"
        elif pt.test == "repeatability":  # spread ≤ |MPE| (and each single error within MPE)
            half = [pt.nominal] * (pt.count - 1)
            assert verdict(p, pt, half + [pt.nominal + pt.mpe]) == "pass"
            assert verdict(p, pt, half + [pt.nominal + pt.mpe + step]) == "fail"
        seen += 1
    assert seen == len(p.points) and seen >= 5


def test_mercury_zero_band_is_asymmetric():
    """JJG 270-2008: the meniscus at zero within −1.5 … +3.75 mmHg (−0.2 … +0.5 kPa), not ±MPE."""
    p = plan(PROCS["sphygmomanometer.mercury"], INSTRUMENTS["sphygmomanometer.mercury"][0], "subsequent",
             "sphygmomanometer.mercury")
    zero = p.point("zero")
    assert (zero.lower, zero.upper) == (Decimal("-1.5"), Decimal("3.75")) and "JJG 270-2008" in zero.clause
    assert [verdict(p, zero, [Decimal(v)]) for v in ("-1.5", "-2", "3.75", "4")] == ["pass", "fail", "pass", "fail"]
    aneroid = plan(PROCS["sphygmomanometer.aneroid"], INSTRUMENTS["sphygmomanometer.aneroid"][0], "subsequent",
                   "sphygmomanometer.aneroid")
    assert aneroid.point("zero") is None  # the meniscus band is the mercury instrument's
    tight = {k: plan(PROCS["sphygmomanometer.mercury"], {}, k, "sphygmomanometer.mercury").point("air tightness")
             for k in ("initial", "subsequent")}
    assert (tight["initial"].upper, tight["subsequent"].upper) == (Decimal("3.75"), Decimal(6))


def test_nibp_air_leakage_only_at_initial_verification():
    chars = INSTRUMENTS["sphygmomanometer.nibp"][0]
    ids = {k: [pt.id for pt in plan(PROCS["sphygmomanometer.nibp"], chars, k).points if pt.test == "limit"]
           for k in ("initial", "subsequent")}
    assert ids == {"initial": ["air leakage", "deflation rate"], "subsequent": ["deflation rate"]}


def test_jjg_1204_2025_takes_over_price_computing_scales_on_2027_01_08():
    editions = load_editions()
    assert [d["id"] for d in editions["scale.price_computing"]] == ["jjg539-2016", "jjg1204-2025"]
    assert [d["id"] for d in editions["scale.digital"]] == ["jjg539-2016"]
    assert load_all(day=dt.date(2027, 1, 7))["scale.price_computing"]["id"] == "jjg539-2016"
    assert load_all(day=dt.date(2027, 1, 8))["scale.price_computing"]["id"] == "jjg1204-2025"
    assert load_all(day=dt.date(2027, 1, 8))["scale.digital"]["id"] == "jjg539-2016"


@pytest.mark.parametrize("started, expected", [(dt.datetime(2027, 1, 7, 15, 59, tzinfo=dt.UTC), "jjg539-2016"),
                                               (dt.datetime(2027, 1, 8, 0, 0, tzinfo=dt.UTC), "jjg1204-2025")])
def test_a_job_keeps_the_edition_in_force_when_it_started(api, world, app, started, expected):
    from lims.extensions import db
    from lims.modules.jobs.models import Job

    job = world.jobs["market_a"]
    for action, extra in (("receive", {}), ("start", {"bench_id": world.benches["good"]})):
        version = api("get", f"/api/v1/jobs/{job}").json["version"]
        assert api("post", f"/api/v1/jobs/{job}/transitions", role="technician",
                   json={"version": version, "action": action, **extra}).status_code == 200
    with app.app_context():
        db.session.get(Job, job).started_dt = started
        db.session.commit()
    body = api("get", f"/api/v1/jobs/{job}/procedure").json
    assert body["procedure_id"] == expected
    r = api("post", f"/api/v1/jobs/{job}/results", role="technician", json={"point": "200 g", "indication": 200})
    assert r.status_code == 200 and r.json["verdict"] == "pass"
    with app.app_context():
        from lims.modules.procedures.models import PointResult

        assert db.session.query(PointResult).filter_by(job_id=job).one().procedure_id == expected
