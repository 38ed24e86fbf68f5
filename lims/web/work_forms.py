"""Forms of the work pages: job steps, issuing, revoking/replacing, registering and booking.

They only check the shape of the input (types, lengths); the rules stay in the operations.
"""
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lims.modules.equipment.models import InstrumentType

try:  # wtforms >= 3.3 deprecates (value, label) tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older wtforms
    def SelectChoice(value, label=None):  # noqa: N802
        return (value, value if label is None else label)


def choices(pairs: Iterable[tuple[Any, str]]) -> list[Any]:
    """``[(value, label)]`` as the choices the installed wtforms wants."""
    return [SelectChoice(value=v, label=label) for v, label in pairs]


class TransitionForm(FlaskForm):
    """One step of the job workflow; the action is in the URL, the form is prefixed with it."""

    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    bench_id = SelectField(_l("Bench"), coerce=int, validate_choice=False, validators=[Optional()])
    result = SelectField(_l("Result"), choices=choices([("", "—"), ("pass", _l("pass")), ("fail", _l("fail"))]),
                         validators=[Optional()])
    performed_on = DateField(_l("Performed on"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    go = SubmitField()


class IssueForm(FlaskForm):
    remarks = TextAreaField(_l("Remarks (one per line, optional)"), validators=[Optional(), Length(max=20000)])
    go = SubmitField(_l("Issue certificate"))


class RevokeCertificateForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    go = SubmitField(_l("Revoke certificate"))


class ReplaceCertificateForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    amendment = SelectField(_l("Amendment"),
                            choices=choices([("amended", _l("amended")), ("substituted", _l("substituted"))]))
    remarks = TextAreaField(_l("Remarks (one per line, optional)"), validators=[Optional(), Length(max=20000)])
    go = SubmitField(_l("Issue replacement"))


class BookForm(FlaskForm):
    booked_for = DateField(_l("Date wanted"), validators=[Optional()])
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    go = SubmitField(_l("Book verification"))


class RegisterForm(FlaskForm):
    """The fixed part of the register form; characteristic fields are added per type."""

    type_code = HiddenField(validators=[DataRequired(), Length(max=64)])
    owner_id = SelectField(_l("Owner"), coerce=int, validate_choice=False, validators=[Optional()])
    manufacturer = StringField(_l("Manufacturer"), validators=[DataRequired(), Length(max=120)])
    model = StringField(_l("Model"), validators=[DataRequired(), Length(max=120)])
    serial_number = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=120)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    go = SubmitField(_l("Register"))


def lines(text: str | None) -> list[str]:
    """Split a textarea into its non-blank lines (stripped)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def register_form_for(itype: InstrumentType, locale: str) -> type[RegisterForm]:
    """Return a RegisterForm subclass with one field ``char_<key>`` per characteristic of ``itype``."""

    class Form(RegisterForm):
        pass

    for c in itype.characteristics:
        label = c["label_zh"] if locale == "zh" else c["label_en"]
        if c.get("unit"):
            label = f"{label} ({c['unit']})"
        if c["kind"] == "choice":
            values = itype.accuracy_classes if c.get("choices") == "accuracy_classes" else (c.get("choices") or [])
            field = SelectField(label, choices=choices([("", "—")] + [(v, v) for v in values]), validate_choice=False)
        else:
            field = StringField(label, validators=[Length(max=40)])
        setattr(Form, f"char_{c['key']}", field)
    return Form
