"""The certificate data contract: validation, serialisation, canonical bytes and hash."""
import dataclasses
import datetime as dt
import json

import pytest

from certificates.data import (
    AmendmentType,
    CertificateDataError,
    Conformity,
    ResultLine,
    content_hash,
    from_dict,
    to_dict,
)
from certificates.samples import load_sample, sample_names


@pytest.mark.parametrize("name", sample_names())
def test_samples_round_trip_through_json(name):
    """Every shipped preview record survives to_dict → JSON → from_dict unchanged."""
    data = load_sample(name)
    again = from_dict(json.loads(json.dumps(to_dict(data), ensure_ascii=False)))
    assert again == data
    assert content_hash(again) == content_hash(data)
    assert to_dict(data)["schema_version"] == 1


def test_hash_detects_any_change(dummy_verification):
    """A one-digit change of a result, or of a name, changes the stored hash."""
    base = content_hash(dummy_verification)
    assert len(base) == 64 and int(base, 16) >= 0
    changed_result = dataclasses.replace(dummy_verification.results[2], measured="10.011")
    results = dummy_verification.results[:2] + (changed_result,) + dummy_verification.results[3:]
    assert content_hash(dataclasses.replace(dummy_verification, results=results)) != base
    lab = dataclasses.replace(dummy_verification.lab, name="另一个研究院")
    assert content_hash(dataclasses.replace(dummy_verification, lab=lab)) != base
    assert content_hash(dataclasses.replace(dummy_verification)) == base


def test_records_are_frozen(dummy_verification):
    with pytest.raises(dataclasses.FrozenInstanceError):
        dummy_verification.number = "X"


@pytest.mark.parametrize("changes, field, words", [
    ({"number": ""}, "number", "empty"),
    ({"number": " JD1"}, "number", "whitespace"),
    ({"number": "JD\x001"}, "number", "control"),
    ({"location": None}, "location", "required"),
    ({"results": ()}, "results", "at least 1"),
    ({"results": ["x"]}, "results", "tuple"),
    ({"issue_date": dt.date(2026, 11, 19)}, "issue_date", "before"),
    ({"issue_date": dt.datetime(2026, 11, 21, 8)}, "issue_date", "date"),
    ({"due_date": None}, "due_date", "needs a due date"),
    ({"due_date": dt.date(2026, 11, 20)}, "due_date", "after"),
    ({"conformity": Conformity.FAIL}, "conformity", "'pass'"),
    ({"decision_rule": None}, "decision_rule", "required"),
    ({"revision": 1}, "replaces", "revision needs"),
    ({"replaces": "JD2026-000001"}, "revision", "need revision"),
    ({"revision": -1}, "revision", "integer"),
    ({"signatories": ()}, "signatories", "at least 1"),
])
def test_invalid_records_name_the_field(create_record, changes, field, words):
    with pytest.raises(CertificateDataError) as info:
        create_record(**changes)
    assert info.value.field == field
    assert words in info.value.problem
    assert str(info.value).startswith(f"{field}: ")


def test_notice_rules(dummy_notice):
    assert dummy_notice.failed_items()
    with pytest.raises(CertificateDataError, match="due_date: a verification-result notice has no due date"):
        dataclasses.replace(dummy_notice, due_date=dt.date(2027, 1, 1))
    passing = tuple(dataclasses.replace(r, conformity=Conformity.PASS) for r in dummy_notice.results)
    with pytest.raises(CertificateDataError, match="must list the failed items"):
        dataclasses.replace(dummy_notice, results=passing)


def test_calibration_due_date_only_when_agreed(dummy_calibration):
    """ISO/IEC 17025 7.8.4.3: no recalibration date unless the customer agreed one."""
    with pytest.raises(CertificateDataError, match="due_date: .*7.8.4.3"):
        dataclasses.replace(dummy_calibration, due_date=dt.date(2027, 11, 18))
    agreed = dataclasses.replace(dummy_calibration, due_date=dt.date(2027, 11, 18), due_date_agreed=True)
    assert agreed.due_date == dt.date(2027, 11, 18)


def test_calibration_needs_uncertainty(dummy_calibration):
    bare = dataclasses.replace(dummy_calibration.results[0], uncertainty=None, k=None, coverage_probability=None)
    with pytest.raises(CertificateDataError, match=r"results\[0\].uncertainty: .*7.8.4.1"):
        dataclasses.replace(dummy_calibration, results=(bare,))


@pytest.mark.parametrize("kwargs, field", [
    ({"measured": "abc"}, "measured"),
    ({"measured": 1.5}, "measured"),
    ({"measured": "NaN"}, "measured"),
    ({"measured": "١٢.٣"}, "measured"),  # Arabic-Indic digits are not decimal strings for the DCC
    ({"mpe": "-0.1"}, "mpe"),
    ({"unit": "furlong"}, "unit"),
    ({"uncertainty": "0.1"}, "uncertainty"),
    ({"uncertainty": "0.1", "k": "0.5", "coverage_probability": "0.95"}, "k"),
    ({"uncertainty": "0.1", "k": "2", "coverage_probability": "95"}, "coverage_probability"),
    ({"mpe_lower": "0.1"}, "mpe_lower"),
    ({"conformity": "pass"}, "conformity"),
])
def test_result_line_validation(kwargs, field):
    base = {"item": "称量", "item_en": "Weighing", "measured": "1.000", "unit": "kg"}
    with pytest.raises(CertificateDataError) as info:
        ResultLine(**{**base, **kwargs})
    assert info.value.field == field


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d.pop("number"), "number"),
    (lambda d: d.update(extra=1), "extra"),
    (lambda d: d["results"][3].update(measured="x"), "results[3].measured"),
    (lambda d: d["results"][1].update(colour="red"), "results[1].colour"),
    (lambda d: d["instrument"].pop("serial_number"), "instrument.serial_number"),
    (lambda d: d.update(kind="certificate"), "kind"),
    (lambda d: d.update(performed_date="20-11-2026"), "performed_date"),
    (lambda d: d.update(results={}), "results"),
    (lambda d: d["standards"][0].update(valid_until=20270531), "standards[0].valid_until"),
    (lambda d: d.update(schema_version=2), "schema_version"),
    (lambda d: d.update(lab="GDIM"), "lab"),
])
def test_from_dict_names_the_bad_key(dummy_verification, mutate, path):
    raw = to_dict(dummy_verification)
    mutate(raw)
    with pytest.raises(CertificateDataError) as info:
        from_dict(raw)
    assert info.value.field == path


def test_from_dict_rejects_non_mapping():
    with pytest.raises(CertificateDataError, match="certificate: must be a mapping"):
        from_dict([1, 2])


def test_revision_record(dummy_verification):
    """A replacement names the old number, the kind of change and the reason (17025 7.8.8)."""
    kw = dict(number="JD2026-000200", revision=1, replaces="JD2026-000123", amendment_reason="示值录入错误")
    rev = dataclasses.replace(dummy_verification, amendment=AmendmentType.SUBSTITUTED, **kw)
    assert from_dict(to_dict(rev)) == rev
    with pytest.raises(CertificateDataError) as info:
        dataclasses.replace(dummy_verification, amendment="substituted", **kw)
    assert info.value.field == "amendment"
    with pytest.raises(CertificateDataError, match="replace itself"):
        dataclasses.replace(dummy_verification, amendment=AmendmentType.AMENDED, **{**kw, "replaces": kw["number"]})


def test_replacement_of(dummy_verification):
    """A correction is a new record pointing at the old one; the old record is untouched."""
    from certificates.data import replacement_of

    inst = dataclasses.replace(dummy_verification.instrument, serial_number="A2301175")
    new = replacement_of(dummy_verification, number="JD2026-000300", reason="出厂编号录入错误", instrument=inst)
    assert (new.revision, new.replaces, new.amendment) == (1, "JD2026-000123", AmendmentType.SUBSTITUTED)
    assert new.instrument.serial_number == "A2301175" and dummy_verification.instrument.serial_number == "A2301157"
    second = replacement_of(new, number="JD2026-000301", reason="再次更正", amendment=AmendmentType.AMENDED)
    assert (second.revision, second.replaces) == (2, "JD2026-000300")
    with pytest.raises(CertificateDataError, match="revision: is set by replacement_of"):
        replacement_of(dummy_verification, number="X", reason="r", revision=5)
    with pytest.raises(CertificateDataError, match="replaces: a certificate cannot replace itself"):
        replacement_of(dummy_verification, number="JD2026-000123", reason="r")
