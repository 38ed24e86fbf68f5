"""Procedures as data: the files load and are checked; plans reproduce REFERENCE.md's worked examples."""
from decimal import Decimal

import pytest

from lims.modules.procedures.definitions import KINDS, ProcedureDataError, compute_error, load_all, plan, validate

SCALE_30KG = {"max": 30000, "min": 200, "e": 10, "d": 10, "accuracy_class": "III"}
SCALE_15KG = {"max": 15000, "min": 100, "e": 5, "d": 5, "accuracy_class": "III"}


@pytest.fixture(scope="module")
def procs():
    return load_all()


def mpes(p):
    """MPE of each weighing point (repeatability and eccentricity items left out)."""
    return {pt.id: pt.mpe for pt in p.points if pt.test == "error" and "decreasing" not in pt.id}


def test_every_file_loads_and_covers_the_reference_instruments(procs):
    assert {procs[c]["id"] for c in ("scale.digital", "scale.price_computing")} == {"jjg539-2016"}
    assert procs["sphygmomanometer.nibp"]["id"] == "jjg692-2010"
    assert procs["sphygmomanometer.aneroid"]["id"] == "jjg270-2008"
    assert procs["thermometer.clinical_electronic"]["id"] == "jjg1162-2019"


def test_30_kg_by_10_g_class_iii_reference_example(procs):
    """REFERENCE.md 1.1: 0–5 kg ±5 g; >5–20 kg ±10 g; >20–30 kg ±15 g; in service ±10/±20/±30 g."""
    for kind in ("initial", "subsequent"):
        p = plan(procs["scale.price_computing"], SCALE_30KG, kind)
        assert mpes(p) == {"200 g": 5, "5000 g": 5, "15000 g": 10, "20000 g": 10, "30000 g": 15}
        assert [pt.nominal for pt in p.points if pt.test == "error" and "decreasing" not in pt.id] == [
            200, 5000, 15000, 20000, 30000]
        assert p.e == 10 and p.unit == "g" and not any(pt.unconfirmed for pt in p.points if pt.test != "limit")
    p = plan(procs["scale.price_computing"], SCALE_30KG, "in_service")
    assert mpes(p) == {"200 g": 10, "5000 g": 10, "15000 g": 20, "20000 g": 20, "30000 g": 30}
    assert all(pt.unconfirmed for pt in p.points if pt.test != "limit")  # in-service factor believed unchanged ✘
    assert any("in-service" in note for note in p.unconfirmed)


def test_15_kg_by_5_g_reference_example(procs):
    """REFERENCE.md 1.1: ≤2.5 kg ±2.5 g; ≤10 kg ±5 g; ≤15 kg ±7.5 g."""
    p = plan(procs["scale.digital"], SCALE_15KG, "initial")
    assert mpes(p) == {"100 g": Decimal("2.5"), "2500 g": Decimal("2.5"), "7500 g": 5, "10000 g": 5,
                       "15000 g": Decimal("7.5")}
    assert str(p.point("15000 g").mpe) == "7.5"


def test_plan_skips_duplicates_and_loads_outside_min_max(procs):
    # class III, e = 1 g, Max = 1000 g: 2000 e is above Max, 500 e = Max/2 appears once
    p = plan(procs["scale.digital"], {"max": 1000, "min": 20, "e": 1, "d": 1, "accuracy_class": "III"}, "initial")
    assert [pt.id for pt in p.points if pt.test == "error" and "decreasing" not in pt.id] == ["20 g", "500 g", "1000 g"]
    assert mpes(p) == {"20 g": Decimal("0.5"), "500 g": Decimal("0.5"), "1000 g": 1}


def test_class_ii_and_iiii_use_their_own_change_points(procs):
    p = plan(procs["scale.digital"], {"max": 3000, "min": 0.5, "e": 0.1, "d": 0.01, "accuracy_class": "II"},
             "initial")
    assert [pt.id for pt in p.points if pt.test == "error" and "decreasing" not in pt.id] == [
        "0.5 g", "500 g", "1500 g", "2000 g", "3000 g"]
    assert mpes(p)["500 g"] == Decimal("0.05") and mpes(p)["2000 g"] == Decimal("0.1")
    assert mpes(p)["3000 g"] == Decimal("0.15")
    p = plan(procs["scale.digital"], {"max": 5000, "min": 50, "e": 5, "d": 5, "accuracy_class": "IIII"}, "initial")
    assert mpes(p) == {"50 g": Decimal("2.5"), "250 g": Decimal("2.5"), "1000 g": 5, "2500 g": Decimal("7.5"),
                       "5000 g": Decimal("7.5")}


def test_nibp_points_and_mpe_by_verification_kind(procs):
    chars = {"range_min": 0, "range_max": 300, "resolution": 1}
    ids = ["0 mmHg", "50 mmHg", "100 mmHg", "150 mmHg", "200 mmHg", "250 mmHg"]
    assert set(mpes(plan(procs["sphygmomanometer.nibp"], chars, "initial")).values()) == {3}
    for kind in ("subsequent", "in_service"):
        p = plan(procs["sphygmomanometer.nibp"], chars, kind)
        assert [pt.id for pt in p.points if pt.test == "error"] == ids and set(mpes(p).values()) == {4}
        assert not any(pt.unconfirmed for pt in p.points) and p.unconfirmed  # the points are the lab's choice
    small = plan(procs["sphygmomanometer.nibp"], {"range_min": 0, "range_max": 200, "resolution": 1}, "initial")
    assert [pt.id for pt in small.points if pt.test == "error"] == ids[:5]


def test_aneroid_and_thermometer(procs):
    for kind in KINDS:
        p = plan(procs["sphygmomanometer.aneroid"], {"range_min": 0, "range_max": 300, "resolution": 2}, kind)
        assert set(mpes(p).values()) == {Decimal("3.75")}
        t = plan(procs["thermometer.clinical_electronic"], {"range_min": 32, "range_max": 42.9, "resolution": 0.1},
                 kind)
        assert [pt.id for pt in t.points] == ["35 °C", "35.5 °C", "37 °C", "39 °C", "41 °C"]
        # ±0.1 °C in the main range 35.5–42.0 °C, ±0.2 °C outside it (both unconfirmed)
        assert mpes(t) == {"35 °C": Decimal("0.2"), "35.5 °C": Decimal("0.1"), "37 °C": Decimal("0.1"),
                           "39 °C": Decimal("0.1"), "41 °C": Decimal("0.1")} and all(pt.unconfirmed for pt in t.points)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("regulation"), "regulation: missing"),
    (lambda d: d["mpe"].pop("in_service"), "mpe.in_service: missing"),
    (lambda d: d["mpe"].update(initial=-1), "mpe.initial: must be > 0"),
    (lambda d: d["mpe"].pop("source"), "mpe.source"),
    (lambda d: d["points"].update(nominal=[1, 1.0]), "duplicates"),
    (lambda d: d.update(kind="other"), "kind"),
])
def test_malformed_files_are_refused_naming_the_key(change, message):
    import copy
    import tomllib

    from lims.modules.procedures.definitions import DATA_DIR

    data = tomllib.loads((DATA_DIR / "jjg692-2010.toml").read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    change(bad)
    with pytest.raises(ProcedureDataError, match=message):
        validate(bad, "x.toml")


def test_a_malformed_file_stops_loading(tmp_path):
    (tmp_path / "a.toml").write_text('id = "a"\n', encoding="utf-8")
    with pytest.raises(ProcedureDataError, match="a.toml: data_version: missing"):
        load_all(tmp_path)


def test_flash_point_worked_example():
    """REFERENCE.md 1.1: e = 5 g, L = I = 1000 g, ΔL = 2.0 g → P = 1000.5 g, E = +0.5 g; E0 = +0.2 g → Ec = +0.3 g."""
    e, corrected = compute_error(Decimal("1000"), Decimal("1000"), Decimal("5"), Decimal("2.0"), Decimal("0.2"))
    assert e == Decimal("0.5") and corrected == Decimal("0.3")


def test_repeatability_and_eccentricity_items(procs):
    p = plan(procs["scale.price_computing"], SCALE_30KG, "initial")
    extra = [(pt.id, pt.test, pt.count, pt.mpe) for pt in p.points if pt.test in ("repeatability", "eccentricity")]
    assert extra == [("repeatability 15000 g", "repeatability", 3, 10), ("eccentricity 10000 g", "eccentricity", 4, 10)]
    p = plan(procs["scale.digital"], {"max": 3000, "min": 0.5, "e": 0.1, "d": 0.01, "accuracy_class": "II"},
             "in_service")
    extra = [(pt.id, pt.count, pt.mpe) for pt in p.points if pt.test in ("repeatability", "eccentricity")]
    assert extra == [("repeatability 1500 g", 6, Decimal("0.2")), ("eccentricity 1000 g", 4, Decimal("0.2"))]
