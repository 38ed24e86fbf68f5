"""Flask-WTF forms (CSRF-protected)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


TOKEN_EXPIRY_CHOICES = (("", _l("Never")), ("30", _l("30 days")), ("90", _l("90 days")), ("365", _l("1 year")))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(min=1, max=100)])
    expires_in_days = SelectField(_l("Expires"), choices=TOKEN_EXPIRY_CHOICES, default="")
    submit = SubmitField(_l("Create token"))


class PasswordChangeForm(FlaskForm):
    old_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("The two entries differ."))])
    submit = SubmitField(_l("Change password"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("Revoke"))
