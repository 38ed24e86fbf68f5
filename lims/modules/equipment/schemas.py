"""Load and dump schemas of the register."""
import datetime as dt

from marshmallow import ValidationError, fields, validate, validates_schema

from lims.core.schemas import Bool, DumpSchema, LoadSchema, PageArgsSchema, VersionSchema, page_schema
from lims.modules.equipment.models import CATEGORIES, STANDARD_KINDS, STATUSES, Instrument, ReferenceStandard
from lims.modules.equipment.queries import status_of

_name = validate.Length(min=1, max=120)


class CharacteristicSpecSchema(LoadSchema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$"))
    label_zh = fields.String(required=True, validate=validate.Length(min=1, max=50))
    label_en = fields.String(required=True, validate=validate.Length(min=1, max=50))
    kind = fields.String(required=True, validate=validate.OneOf(["number", "choice", "text"]))
    unit = fields.String(load_default="", validate=validate.Length(max=16))
    required = Bool(load_default=True)
    choices = fields.Raw(load_default=None)


class InstrumentTypeSchema(DumpSchema):
    id = fields.Integer()
    code = fields.String()
    category = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    regulation = fields.String()
    is_mandatory = fields.Boolean()
    period_months = fields.Integer(allow_none=True)
    accuracy_classes = fields.List(fields.String())
    characteristics = fields.List(fields.Dict())
    notes = fields.String()
    version = fields.Integer()


class InstrumentTypeCreateSchema(LoadSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    regulation = fields.String(required=True, validate=validate.Length(min=1, max=200))
    is_mandatory = Bool(load_default=True)
    period_months = fields.Integer(load_default=12, allow_none=True, validate=validate.Range(min=1, max=120))
    accuracy_classes = fields.List(fields.String(validate=validate.Length(min=1, max=16)), load_default=list)
    characteristics = fields.List(fields.Nested(CharacteristicSpecSchema), load_default=list)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class InstrumentTypeUpdateSchema(VersionSchema):
    name_zh = fields.String(validate=validate.Length(min=1, max=100))
    name_en = fields.String(validate=validate.Length(min=1, max=100))
    regulation = fields.String(validate=validate.Length(min=1, max=200))
    is_mandatory = Bool()
    period_months = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=120))
    notes = fields.String(validate=validate.Length(max=2000))


class OwnerRefSchema(DumpSchema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class InstrumentSchema(DumpSchema):
    id = fields.Integer()
    type_code = fields.Function(lambda o: o.type.code)
    type_id = fields.Integer()
    owner = fields.Nested(OwnerRefSchema)
    location = fields.String()
    manufacturer = fields.String()
    model = fields.String()
    serial_number = fields.String()
    characteristics = fields.Dict()
    status = fields.Method("get_status")
    last_verified_on = fields.Date(allow_none=True)
    verified_until = fields.Date(allow_none=True)
    last_result = fields.String(allow_none=True)
    is_withdrawn = fields.Boolean()
    created_dt = fields.DateTime()
    version = fields.Integer()

    def get_status(self, obj: Instrument) -> str:
        return status_of(obj)


InstrumentPageSchema = page_schema(InstrumentSchema, "InstrumentPageSchema")


class InstrumentCreateSchema(LoadSchema):
    type_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    owner_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1),
                              metadata={"description": "defaults to the caller's own organisation"})
    location = fields.String(load_default="", validate=validate.Length(max=200))
    manufacturer = fields.String(required=True, validate=_name)
    model = fields.String(required=True, validate=_name)
    serial_number = fields.String(required=True, validate=_name)
    characteristics = fields.Dict(keys=fields.String(), load_default=dict)


class InstrumentUpdateSchema(VersionSchema):
    location = fields.String(validate=validate.Length(max=200))
    manufacturer = fields.String(validate=_name)
    model = fields.String(validate=_name)
    serial_number = fields.String(validate=_name)
    characteristics = fields.Dict(keys=fields.String())
    is_withdrawn = Bool()


class InstrumentQuerySchema(PageArgsSchema):
    owner_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    type_code = fields.String(validate=validate.Length(max=64))
    status = fields.String(validate=validate.OneOf(STATUSES))
    due_before = fields.Date(metadata={"description": "verified_until strictly before this date"})
    q = fields.String(validate=validate.Length(min=1, max=120), metadata={"description": "serial number contains"})


class ImportResultSchema(DumpSchema):
    created = fields.Integer()


class ImportFileSchema(LoadSchema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"}, required=True)


class StandardValueSchema(LoadSchema):
    nominal = fields.String(required=True, validate=validate.Length(min=1, max=40))
    value = fields.Float(required=True, allow_nan=False)
    U = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0))
    k = fields.Float(load_default=2.0, allow_nan=False, validate=validate.Range(min=1, max=10))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=16))
    certificate = fields.String(validate=validate.Length(min=1, max=120),
                                metadata={"description": "certificate of this value when not the standard's own"})
    date = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="must be a date YYYY-MM-DD"),
                         metadata={"description": "calibration date of this value when not the standard's own"})
    resolution = fields.Float(allow_nan=False, validate=validate.Range(min=0),
                              metadata={"description": "the standard's resolution at this point (budget input)"})
    stability = fields.Float(allow_nan=False, validate=validate.Range(min=0),
                             metadata={"description": "a bath: half-width of its temperature fluctuation"})
    uniformity = fields.Float(allow_nan=False, validate=validate.Range(min=0),
                              metadata={"description": "a bath: half-width of its non-uniformity"})


class ReferenceStandardSchema(DumpSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    manufacturer = fields.String()
    model = fields.String()
    serial_number = fields.String()
    accuracy_class = fields.String()
    measuring_range = fields.String()
    certificate_number = fields.String()
    certificate_issuer = fields.String()
    calibrated_on = fields.Date()
    due_on = fields.Date()
    values = fields.List(fields.Dict())
    is_overdue = fields.Method("get_overdue")
    version = fields.Integer()

    def get_overdue(self, obj: ReferenceStandard) -> bool:
        return obj.due_on < dt.date.today()


class ReferenceStandardCreateSchema(LoadSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(STANDARD_KINDS))
    manufacturer = fields.String(load_default="", validate=validate.Length(max=120))
    model = fields.String(load_default="", validate=validate.Length(max=120))
    serial_number = fields.String(load_default="", validate=validate.Length(max=120))
    accuracy_class = fields.String(load_default="", validate=validate.Length(max=32))
    measuring_range = fields.String(load_default="", validate=validate.Length(max=120))
    certificate_number = fields.String(required=True, validate=validate.Length(min=1, max=120))
    certificate_issuer = fields.String(required=True, validate=validate.Length(min=1, max=200))
    calibrated_on = fields.Date(required=True)
    due_on = fields.Date(required=True)
    values = fields.List(fields.Nested(StandardValueSchema), load_default=list)

    @validates_schema
    def _dates(self, data, **kwargs):
        if "calibrated_on" in data and "due_on" in data and data["due_on"] <= data["calibrated_on"]:
            raise ValidationError("must be after calibrated_on", field_name="due_on")


class ReferenceStandardUpdateSchema(VersionSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    accuracy_class = fields.String(validate=validate.Length(max=32))
    measuring_range = fields.String(validate=validate.Length(max=120))
    certificate_number = fields.String(validate=validate.Length(min=1, max=120))
    certificate_issuer = fields.String(validate=validate.Length(min=1, max=200))
    calibrated_on = fields.Date()
    due_on = fields.Date()
    values = fields.List(fields.Nested(StandardValueSchema))


class BenchPortSchema(LoadSchema):
    role = fields.String(required=True, validate=validate.Length(min=1, max=40))
    port = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "device path or pyserial URL, e.g. /dev/ttyUSB0"})
    driver = fields.String(required=True, validate=validate.Length(min=1, max=40))


class StandardRefSchema(DumpSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    due_on = fields.Date()


class BenchSchema(DumpSchema):
    id = fields.Integer()
    name = fields.String()
    location = fields.String()
    ports = fields.List(fields.Dict())
    standards = fields.List(fields.Nested(StandardRefSchema))
    version = fields.Integer()


class BenchCreateSchema(LoadSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    location = fields.String(load_default="", validate=validate.Length(max=200))
    ports = fields.List(fields.Nested(BenchPortSchema), load_default=list)
    standard_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)), load_default=list)


class BenchUpdateSchema(VersionSchema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    location = fields.String(validate=validate.Length(max=200))
    ports = fields.List(fields.Nested(BenchPortSchema))
    standard_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)))


ReferenceStandardPageSchema = page_schema(ReferenceStandardSchema, "ReferenceStandardPageSchema")
BenchPageSchema = page_schema(BenchSchema, "BenchPageSchema")
InstrumentTypePageSchema = page_schema(InstrumentTypeSchema, "InstrumentTypePageSchema")
