from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..choices import choices
from ..domain.intake import OTHER_RESPONDERS
from ..models import CALL_TYPES


class IncidentForm(FlaskForm):
    cad_number = StringField("CAD number", validators=[DataRequired(), Length(max=40)])
    call_type = SelectField(
        "Call type",
        choices=choices(CALL_TYPES, blank="Choose a call type"),
        validators=[DataRequired(message="Choose a call type.")],
    )
    priority = SelectField(
        "Priority",
        choices=choices({"1": "1 (highest)", "2": "2", "3": "3"}),
        default="2",
        coerce=int,
        validators=[InputRequired()],
    )
    address = StringField("Address", validators=[Optional(), Length(max=200)])
    lat = FloatField("Latitude", validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField("Longitude", validators=[Optional(), NumberRange(-180, 180)])
    weapons = BooleanField("Weapons reported")
    violence = BooleanField("Violence reported")
    medical_emergency = BooleanField("Medical emergency")
    narrative = TextAreaField("Narrative", validators=[Optional(), Length(max=4000)])
    callback_phone = StringField("Callback number", validators=[Optional(), Length(max=40)])

    def validate(self, extra_validators=None) -> bool:
        """The location needs an address or a full coordinate pair (Optional() would skip
        per-field checks on empty fields, so this looks at them together)."""
        valid = super().validate(extra_validators)
        if self.lon.errors or self.lat.errors:
            return False
        if (self.lat.data is None) != (self.lon.data is None):
            self.lon.errors.append("Give both latitude and longitude, or neither.")
            return False
        if not (self.address.data or "").strip() and self.lat.data is None:
            self.address.errors.append("Give an address, or both latitude and longitude.")
            return False
        return valid


class AssignForm(FlaskForm):
    team = StringField("Team", validators=[DataRequired(message="Choose a team.")])
    version = IntegerField("Version", validators=[Optional()])


class CancelForm(FlaskForm):
    """Body-less buttons still carry a CSRF token."""


class PlaceForm(FlaskForm):
    """Place a call whose address could not be found: coordinates, or an address the
    geocoder knows (e.g. a gazetteer match)."""

    address = StringField("Address or place", validators=[Optional(), Length(max=200)])
    lat = FloatField("Latitude", validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField("Longitude", validators=[Optional(), NumberRange(-180, 180)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.lat.errors or self.lon.errors:
            return False
        if (self.lat.data is None) != (self.lon.data is None):
            self.lon.errors.append("Give both latitude and longitude, or neither.")
            return False
        if self.lat.data is None and not (self.address.data or "").strip():
            self.address.errors.append("Give an address, or both latitude and longitude.")
            return False
        return valid


class ElsewhereForm(FlaskForm):
    responder = SelectField(
        "Who went instead",
        choices=choices(OTHER_RESPONDERS, blank="Choose who went"),
        validators=[DataRequired(message="Choose who went instead.")],
    )


class AcknowledgeForm(FlaskForm):
    kind = SelectField(
        choices=choices({"backup": "Backup", "welfare": "Welfare check"}),
        validators=[DataRequired()],
    )
