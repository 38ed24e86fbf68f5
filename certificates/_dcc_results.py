"""DCC statements and measurement results (used by :mod:`certificates.dcc`)."""
from __future__ import annotations

from lxml import etree

from . import labels as L
from .data import CertificateData, DocumentKind, ResultLine
from .units import dsi_unit

_D = "{https://ptb.de/dcc}"
_S = "{https://ptb.de/si}"


def statements(parent, data: CertificateData, statement) -> None:
    """Add the ISO/IEC 17025 statements (title, traceability, conformity, validity, amendments, remarks).

    :param parent: the ``dcc:statements`` element
    :param data: the record
    :param statement: the element factory of :mod:`certificates.dcc`
    """
    zh, en = L.TITLES[data.kind]
    statement(parent, f"{zh} {data.number}", f"{en.capitalize()} {data.number}", "basic_documentTitle",
              norm="ISO/IEC 17025:2017", reference="7.8.2.1 a")
    work = L.WORK[data.kind]
    done = "calibrated" if data.kind is DocumentKind.CALIBRATION else "verified"
    statement(parent, L.ONLY_ITEMS[0].format(work=work[0]), L.ONLY_ITEMS[1].format(work_en=done),
              "basic_validityRange", norm="ISO/IEC 17025:2017", reference="7.8.2.1 l")
    if data.standards:
        st = statement(parent, "测量结果可溯源至国家计量基准。", "The results are metrologically traceable to "
                       "national measurement standards.", "basic_traceability")
        etree.SubElement(st, _D + "traceable").text = "true"
        st.insert(0, st[-1])  # dcc:traceable comes before dcc:declaration
    if data.conformity is not None:
        statement(parent, f"{L.FIELDS['decision_rule'][0]}：{data.decision_rule}",
                  f"{L.FIELDS['decision_rule'][1]}: {data.decision_rule}", "basic_conformity",
                  norm=data.method.code, conformity=data.conformity.value)
    elif data.kind is DocumentKind.CALIBRATION:
        statement(parent, *L.NO_CONFORMITY, ref_type="basic_conformity")
    if data.due_date is not None and data.kind is not DocumentKind.VERIFICATION_NOTICE:
        key = "due_calibration" if data.kind is DocumentKind.CALIBRATION else "due_verification"
        statement(parent, *L.FIELDS[key], ref_type="basic_recalibration", date=data.due_date.isoformat())
    if data.replaces:
        assert data.amendment is not None  # validated with replaces (CertificateData.__post_init__)
        how_zh, how_en = L.AMENDMENT[data.amendment.value]
        statement(parent, L.REPLACES[0].format(old=data.replaces, how=how_zh, reason=data.amendment_reason),
                  L.REPLACES[1].format(old=data.replaces, how_en=how_en, reason=data.amendment_reason),
                  "basic_amendment", norm="ISO/IEC 17025:2017", reference="7.8.8")
    if data.method.deviations:
        statement(parent, f"{L.FIELDS['deviations'][0]}：{data.method.deviations}", None, "basic_methodDeviation")
    for remark in data.remarks:
        statement(parent, remark, None, "basic_remark")


def _real(parent, value: str, unit: str, field: str, r: ResultLine | None = None):
    real = etree.SubElement(parent, _S + "real")
    etree.SubElement(real, _S + "value").text = value
    etree.SubElement(real, _S + "unit").text = dsi_unit(field, unit)
    if r is not None and r.uncertainty is not None:
        assert r.k is not None and r.coverage_probability is not None  # validated together (ResultLine)
        mu = etree.SubElement(etree.SubElement(real, _S + "measurementUncertaintyUnivariate"), _S + "expandedMU")
        etree.SubElement(mu, _S + "valueExpandedMU").text = r.uncertainty.lstrip("+")
        etree.SubElement(mu, _S + "coverageFactor").text = r.k.lstrip("+")
        etree.SubElement(mu, _S + "coverageProbability").text = r.coverage_probability.lstrip("+")
    return real


def _quantity(data_el, ref_type: str, zh: str, en: str, value: str, unit: str, field: str,
              r: ResultLine | None = None):
    q = etree.SubElement(data_el, _D + "quantity", refType=ref_type)
    name = etree.SubElement(q, _D + "name")
    etree.SubElement(name, _D + "content", lang="zh").text = zh
    etree.SubElement(name, _D + "content", lang="en").text = en
    _real(q, value, unit, field, r)
    return q


def _result(parent, i: int, r: ResultLine, text):
    res = etree.SubElement(parent, _D + "result", refType="basic_measurementResult")
    text(res, "name", r.item, r.item_en)
    d = etree.SubElement(res, _D + "data")
    f = f"results[{i}].unit"
    cols = L.RESULT_COLUMNS
    if r.nominal is not None:
        _quantity(d, "basic_referenceValue", *cols["nominal"], r.nominal, r.unit, f)
    carrier = _quantity(d, "basic_measuredValue", *cols["measured"], r.measured, r.unit, f,
                        r if r.error is None else None)
    if r.error is not None:
        carrier = _quantity(d, "basic_measurementError", *cols["error"], r.error, r.unit, f, r)
    if r.mpe is not None:
        _quantity(d, "basic_toleranceLimitUpper", "最大允许误差上限", "MPE upper limit", r.mpe, r.unit, f)
        lower = r.mpe_lower if r.mpe_lower is not None else r.mpe
        _quantity(d, "basic_toleranceLimitLower", "最大允许误差下限", "MPE lower limit",
                  lower if lower.startswith("-") else f"-{lower.lstrip('+')}", r.unit, f)
    if r.conformity is not None:
        meta = etree.SubElement(etree.SubElement(carrier, _D + "measurementMetaData"), _D + "metaData",
                                refType="basic_conformity")
        decl = etree.SubElement(meta, _D + "declaration")
        etree.SubElement(decl, _D + "content", lang="zh").text = L.CONFORMITY[r.conformity][0]
        etree.SubElement(decl, _D + "content", lang="en").text = L.CONFORMITY[r.conformity][1]
        etree.SubElement(meta, _D + "conformity").text = r.conformity.value


def _equipment(parent, data: CertificateData, text):
    if not data.standards:
        return
    eqs = etree.SubElement(parent, _D + "measuringEquipments")
    for s in data.standards:
        eq = etree.SubElement(eqs, _D + "measuringEquipment", refType="basic_normalUsed")
        text(eq, "name", s.name)
        desc = etree.SubElement(eq, _D + "description")
        for line in (f"测量范围 Range: {s.measuring_range}", f"准确度 Accuracy: {s.accuracy}",
                     f"证书编号 Certificate: {s.certificate_number}, 有效期至 valid until {s.valid_until.isoformat()}",
                     f"溯源 Traceability: {s.traceability}"):
            etree.SubElement(desc, _D + "content").text = line
        ident = etree.SubElement(etree.SubElement(eq, _D + "identifications"), _D + "identification")
        etree.SubElement(ident, _D + "issuer").text = "calibrationLaboratory"
        etree.SubElement(ident, _D + "value").text = s.identifier


def measurement_result(parent, data: CertificateData, el, text) -> None:
    """Add the ``dcc:measurementResult`` with method, standards, conditions and results.

    :param parent: the ``dcc:measurementResults`` element
    :param data: the record
    :param el: element factory of :mod:`certificates.dcc`
    :param text: text-element factory of :mod:`certificates.dcc`
    """
    work = L.WORK[data.kind]
    mr = el(parent, _D + "measurementResult")
    zh, en = L.FIELDS["results"]
    text(mr, "name", zh.format(work=work[0]), en.format(work=work[1]))
    method = el(el(mr, _D + "usedMethods"), _D + "usedMethod", refType="basic_method")
    text(method, "name", data.method.title, data.method.title_en)
    el(method, _D + "norm", data.method.code)
    _equipment(mr, data, text)
    if data.environment:
        conds = el(mr, _D + "influenceConditions")
        for i, c in enumerate(data.environment):
            cond = el(conds, _D + "influenceCondition", refType="basic_environment")
            text(cond, "name", c.name, c.name_en)
            _quantity(el(cond, _D + "data"), "basic_environment", c.name, c.name_en, c.value, c.unit,
                      f"environment[{i}].unit")
    results = el(mr, _D + "results")
    for i, r in enumerate(data.results):
        _result(results, i, r, text)
