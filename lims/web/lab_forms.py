"""Forms of the lab equipment, audit and import pages.

As in :mod:`lims.web.work_forms` they only check the shape of the input (types, lengths); the
rules stay in the schemas and operations the API uses.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

BLANK_ROWS = 3  # empty rows offered for new values / ports


class ValueRow(Form):
    """One calibrated value of a standard: nominal, value, expanded uncertainty U, k, unit."""

    nominal = StringField(_l("Nominal"), validators=[Optional(), Length(max=40)])
    value = StringField(_l("Value"), validators=[Optional(), Length(max=40)])
    U = StringField(_l("U"), validators=[Optional(), Length(max=40)])
    k = StringField(_l("k"), validators=[Optional(), Length(max=40)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=16)])


class StandardEditForm(FlaskForm):
    """What ``PATCH /api/v1/standards/<id>`` may change (code and kind stay)."""

    version = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    accuracy_class = StringField(_l("Accuracy class"), validators=[Optional(), Length(max=32)])
    measuring_range = StringField(_l("Measuring range"), validators=[Optional(), Length(max=120)])
    certificate_number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=120)])
    certificate_issuer = StringField(_l("Certificate issuer"), validators=[DataRequired(), Length(max=200)])
    calibrated_on = DateField(_l("Calibrated on"), validators=[InputRequired()])
    due_on = DateField(_l("Due on"), validators=[InputRequired()])
    values = FieldList(FormField(ValueRow), min_entries=BLANK_ROWS, max_entries=200)
    go = SubmitField(_l("Save"))


class StandardCreateForm(StandardEditForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    kind = SelectField(_l("Kind"), validate_choice=False)
    manufacturer = StringField(_l("Manufacturer"), validators=[Optional(), Length(max=120)])
    model = StringField(_l("Model"), validators=[Optional(), Length(max=120)])
    serial_number = StringField(_l("Serial number"), validators=[Optional(), Length(max=120)])
    go = SubmitField(_l("Add standard"))


class PortRow(Form):
    """One serial port of a bench: its role, the device path or URL, the driver."""

    role = StringField(_l("Role"), validators=[Optional(), Length(max=40)])
    port = StringField(_l("Port"), validators=[Optional(), Length(max=200)])
    driver = StringField(_l("Driver"), validators=[Optional(), Length(max=40)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BenchEditForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    ports = FieldList(FormField(PortRow), min_entries=BLANK_ROWS, max_entries=50)
    standard_ids = MultiCheckboxField(_l("Standards on the bench"), coerce=int, validate_choice=False)
    go = SubmitField(_l("Save"))


class AuditFilterForm(FlaskForm):
    """The audit trail's filters (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    entity = SelectField(_l("Entity"), validate_choice=False, validators=[Optional()])
    entity_id = StringField(_l("Entity id"), validators=[Optional(), Length(max=64)])
    actor = StringField(_l("Actor"), validators=[Optional(), Length(max=120)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class ImportForm(FlaskForm):
    owner_id = SelectField(_l("Owner"), coerce=int, validate_choice=False, validators=[Optional()])
    file = FileField(_l("CSV file"), validators=[FileRequired()])
    go = SubmitField(_l("Import"))
