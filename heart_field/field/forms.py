"""The responder's forms. Hidden fields carry what the status machine needs."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, UUID

from ..models import DISPOSITIONS, SERVICES

DECLINE_REASONS = {
    "already_committed": "Already on another call",
    "unsafe": "Not safe for this team",
    "out_of_area": "Too far away",
    "equipment": "Vehicle or equipment problem",
    "other": "Other",
}


class TapForm(FlaskForm):
    """One status tap. The UUID is rendered fresh with each screen, so a double tap or an
    offline replay of the same button is applied once."""

    action = HiddenField(validators=[InputRequired()])
    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    client_uuid = HiddenField(validators=[InputRequired(), UUID()])
    # Device time and position, stamped by the page's script when it runs.
    occurred_at = DateTimeField(
        widget=widgets.HiddenInput(), format="%Y-%m-%dT%H:%M:%S.%fZ", validators=[Optional()]
    )
    lat = FloatField(widget=widgets.HiddenInput(), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(widget=widgets.HiddenInput(), validators=[Optional(), NumberRange(-180, 180)])


class DeclineForm(TapForm):
    reason = SelectField(
        "Why decline?",
        choices=[("", "Choose a reason")] + list(DECLINE_REASONS.items()),
        validators=[DataRequired(message="Choose a reason.")],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class OutcomeForm(TapForm):
    disposition = SelectField(
        "Disposition",
        choices=[("", "Choose a disposition")] + [(d.code, d.label) for d in DISPOSITIONS.values()],
        validators=[DataRequired(message="Choose a disposition.")],
    )
    people_served = IntegerField(
        "People served", validators=[Optional(), NumberRange(0, 50)], default=1
    )
    services = MultiCheckboxField("Services given", choices=list(SERVICES.items()))
    transport = BooleanField("Transported someone")
    police_requested = BooleanField("Police requested")
    ems_requested = BooleanField("EMS requested")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
