"""Input and output schemas of the procedures API (numbers out as decimal text, exactly as judged)."""
from marshmallow import ValidationError, fields, validate

from lims.core.schemas import DumpSchema, LoadSchema
from lims.modules.procedures.operations import flags

_BIG = 10**9


def _flags(row):
    return flags(row)


def _within(low, high):
    """A range check for Decimal fields (the bounds are published as numbers in ``metadata``)."""

    def check(value):
        if value is not None and not low <= value <= high:
            raise ValidationError(f"must be between {low} and {high}")

    return check


def _number(description, low=-_BIG, **kwargs):
    return fields.Decimal(allow_nan=False, validate=_within(low, _BIG), load_default=None,
                          metadata={"description": description, "minimum": low, "maximum": _BIG}, **kwargs)


class ResultEntrySchema(LoadSchema):
    point = fields.String(required=True, validate=validate.Length(min=1, max=64),
                          metadata={"description": "the test point's name from GET …/procedure, e.g. `5000 g`"})
    indication = _number("the instrument's indication I (or give session_id and sequences)", allow_none=True)
    indications = fields.List(
        fields.Decimal(allow_nan=False, validate=_within(-_BIG, _BIG), metadata={"minimum": -_BIG, "maximum": _BIG}),
        allow_none=True, load_default=None, validate=validate.Length(min=2, max=20),
        metadata={"description": "repeatability: the weighings of one load; eccentricity: one indication per position"})
    reference = _number("reference value L (default: the calibrated value of a bench standard for this nominal "
                        "value, else the nominal value)", allow_none=True)
    flash_delta = _number("scales: the added small weights ΔL of the flash-point method", allow_none=True)
    zero_error = _number("scales: error E0 at or near zero, subtracted from E", allow_none=True)
    indication_falling = _number("sphygmomanometers whose procedure measures hysteresis: the indication with "
                                 "falling pressure (the larger error is judged; half the difference enters the budget)",
                                 allow_none=True)
    uncertainty = _number("expanded uncertainty U of the error: only for procedures without a budget (with one, U is "
                          "computed from the record and a typed U is refused)", low=0, allow_none=True)
    k = fields.Decimal(allow_nan=False, allow_none=True, load_default=None, validate=_within(1, 10),
                       metadata={"description": "coverage factor of U (default 2)", "minimum": 1, "maximum": 10})
    session_id = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=2**31 - 1),
                                metadata={"description": "take the indication from readings of this session"})
    sequences = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)), allow_none=True,
                            load_default=None, validate=validate.Length(min=1, max=100),
                            metadata={"description": "sequence numbers of the readings (their mean is used)"})


class BudgetInputSchema(DumpSchema):
    name = fields.String()
    description = fields.String()
    source = fields.String(metadata={"description": "where the input came from: standard, certificate, readings"})
    distribution = fields.String()
    u = fields.Float()
    sensitivity = fields.Float()
    contribution = fields.Float(metadata={"description": "|c_i| u(x_i)"})
    share = fields.Float(metadata={"description": "share of u_c² (the shares sum to 1)"})
    dof = fields.Float(allow_none=True, metadata={"description": "null = infinite"})


class BudgetSchema(DumpSchema):
    method = fields.String(metadata={"description": "gum (GUM + Welch–Satterthwaite) or mcm (JCGM 101)"})
    model = fields.String()
    unit = fields.String()
    value = fields.Float()
    u = fields.Float()
    U = fields.Float()
    k = fields.Float()
    nu_eff = fields.Float(allow_none=True, metadata={"description": "effective degrees of freedom; null = infinite"})
    coverage = fields.Float()
    rounded_U = fields.String()
    source = fields.String()
    reference_mode = fields.String(metadata={"description": "certificate (U, k) or class (R 111 MPE)"})
    inputs = fields.List(fields.Nested(BudgetInputSchema))
    standards = fields.List(fields.Dict(), metadata={"description": "the calibration values used"})
    mcm = fields.Dict(allow_none=True)


class PointResultSchema(DumpSchema):
    indication = fields.String()
    indication_falling = fields.String(allow_none=True)
    budget = fields.Nested(BudgetSchema, allow_none=True)
    budget_error = fields.String(allow_none=True, metadata={"description": "why the point has no budget"})
    flags = fields.Function(lambda r: r["flags"] if isinstance(r, dict) else _flags(r),
                            metadata={"description": "why approval needs a justification", "type": "array",
                                      "items": {"type": "string"}})
    justification = fields.String(allow_none=True)
    justified_by_id = fields.Integer(allow_none=True)
    justified_dt = fields.DateTime(allow_none=True)
    indications = fields.List(fields.String(), allow_none=True)
    reference = fields.String()
    flash_delta = fields.String(allow_none=True)
    zero_error = fields.String(allow_none=True)
    error = fields.String(metadata={"description": "E = I − L (scales with ΔL: I + 0.5 e − ΔL − L)"})
    corrected_error = fields.String(metadata={"description": "Ec = E − E0, the value judged"})
    mpe = fields.String()
    uncertainty = fields.String(allow_none=True)
    k = fields.String(allow_none=True)
    ratio = fields.String(allow_none=True, metadata={"description": "U/MPE when U is given"})
    rule = fields.String()
    rule_name = fields.String()
    verdict = fields.String()
    session_id = fields.Integer(allow_none=True)
    sequences = fields.List(fields.Integer(), allow_none=True)
    entered_by_id = fields.Integer()
    entered_dt = fields.DateTime()
    version = fields.Integer()


class EnteredResultSchema(PointResultSchema):
    job_id = fields.Integer()
    point = fields.String()
    unit = fields.String()
    nominal = fields.String()


class PlannedPointSchema(DumpSchema):
    point = fields.String()
    nominal = fields.String()
    unit = fields.String()
    mpe = fields.String(metadata={"description": "magnitude of the MPE (±)"})
    item_zh = fields.String()
    item_en = fields.String()
    unconfirmed = fields.Boolean(metadata={"description": "the MPE rests on a number not yet checked"})
    note = fields.String()
    test = fields.String(metadata={"description": "error, repeatability (spread judged) or eccentricity"})
    reference = fields.String(metadata={"description": "the reference value used when none is given"})
    reference_source = fields.String(metadata={"description": "`nominal`, or the code of the bench standard "
                                                              "whose calibrated value it is"})
    count = fields.Integer(metadata={"description": "number of indications the test takes"})
    lower = fields.String(allow_none=True, metadata={"description": "a limit item's lower limit (null: open)"})
    upper = fields.String(allow_none=True, metadata={"description": "a limit item's upper limit (null: open)"})
    result = fields.Nested(PointResultSchema, allow_none=True)


class ProcedureSchema(DumpSchema):
    job_id = fields.Integer()
    procedure_id = fields.String()
    data_version = fields.Integer()
    regulation = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    verification_kind = fields.String()
    kind = fields.String()
    unit = fields.String()
    e = fields.String(allow_none=True)
    unconfirmed = fields.List(fields.String())
    overall = fields.String(allow_none=True, metadata={"description": "pass, fail, or null while points are missing"})
    failing = fields.List(fields.String())
    missing = fields.List(fields.String())
    formula_zh = fields.String(allow_none=True, metadata={"description": "the error formula of this instrument "
                                                                         "kind (the procedure file's [formula])"})
    formula_en = fields.String(allow_none=True)
    points = fields.List(fields.Nested(PlannedPointSchema))


class JustificationSchema(LoadSchema):
    point = fields.String(required=True, validate=validate.Length(min=1, max=64))
    justification = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                                  metadata={"description": "why U/MPE over 1/3 (or no budget) is acceptable here"})
