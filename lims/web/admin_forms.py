"""Forms of the admin pages (users, organisations); the rules stay in the operations."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp

EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("not an e-mail address"))
USERNAME = Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("letters, digits, '.', '_' and '-' only"))


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64), USERNAME])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200), EMAIL])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[InputRequired()])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=10, max=200)])
    go = SubmitField(_l("Create user"))


class UserEditForm(FlaskForm):
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200), EMAIL])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[InputRequired()])
    is_active_user = BooleanField(_l("Active (may log in)"))
    go = SubmitField(_l("Save"))


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two entries differ."))])
    go = SubmitField(_l("Reset password"))


class OrganisationForm(FlaskForm):
    version = HiddenField()
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    district = StringField(_l("District"), validators=[Optional(), Length(max=100)])
    contact = StringField(_l("Contact (person and telephone)"), validators=[Optional(), Length(max=200)])
    go = SubmitField(_l("Save"))
