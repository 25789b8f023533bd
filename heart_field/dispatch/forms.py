from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..models import CALL_TYPES


class IncidentForm(FlaskForm):
    cad_number = StringField("CAD number", validators=[DataRequired(), Length(max=40)])
    call_type = SelectField(
        "Call type",
        choices=[("", "Choose a call type")] + list(CALL_TYPES.items()),
        validators=[DataRequired(message="Choose a call type.")],
    )
    priority = SelectField(
        "Priority", choices=[("1", "1 (highest)"), ("2", "2"), ("3", "3")], default="2",
        coerce=int, validators=[InputRequired()],
    )
    address = StringField("Address", validators=[Optional(), Length(max=200)])
    lat = FloatField("Latitude", validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField("Longitude", validators=[Optional(), NumberRange(-180, 180)])
    weapons = BooleanField("Weapons reported")
    violence = BooleanField("Violence reported")
    medical_emergency = BooleanField("Medical emergency")
    narrative = TextAreaField("Narrative", validators=[Optional(), Length(max=4000)])
    callback_phone = StringField("Callback number", validators=[Optional(), Length(max=40)])

    def validate_address(self, field):
        if not field.data and (self.lat.data is None or self.lon.data is None):
            raise ValidationError("Give an address, or both latitude and longitude.")

    def validate_lon(self, field):
        if (field.data is None) != (self.lat.data is None):
            raise ValidationError("Give both latitude and longitude, or neither.")


class AssignForm(FlaskForm):
    team = StringField("Team", validators=[DataRequired(message="Choose a team.")])
    version = IntegerField("Version", validators=[Optional()])


class CancelForm(FlaskForm):
    """Body-less buttons still carry a CSRF token."""
