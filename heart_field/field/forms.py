"""The responder's forms. Hidden fields carry what the status machine needs."""

from datetime import datetime, timezone

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, UUID

from ..choices import choices
from ..models import DISPOSITIONS, SERVICES

DECLINE_REASONS = {
    "already_committed": "Already on another call",
    "unsafe": "Not safe for this team",
    "out_of_area": "Too far away",
    "equipment": "Vehicle or equipment problem",
    "other": "Other",
}


class DeviceTimeField(HiddenField):
    """The device's clock when the tap was made, as ISO 8601; empty means "now"."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist else ""
        if not raw:
            return
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError as error:
            raise ValueError("The device time could not be read.") from error
        self.data = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(
            timezone.utc
        )

    def _value(self):
        return self.data.isoformat() if self.data else ""


class TapFields(FlaskForm):
    """What every status tap carries. The UUID is rendered fresh with each screen, so a
    double tap or an offline replay of the same button is applied once."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    client_uuid = HiddenField(validators=[InputRequired(), UUID()])
    # Device time and position, stamped by the page's script when it runs.
    occurred_at = DeviceTimeField()
    lat = FloatField(widget=widgets.HiddenInput(), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(widget=widgets.HiddenInput(), validators=[Optional(), NumberRange(-180, 180)])


class TapForm(TapFields):
    """A status button: the action is in the form."""

    action = HiddenField(validators=[InputRequired()])


class DeclineForm(TapFields):
    reason = SelectField(
        "Why decline?",
        choices=choices(DECLINE_REASONS, blank="Choose a reason"),
        validators=[DataRequired(message="Choose a reason.")],
        render_kw={"autofocus": True},
    )


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class OutcomeForm(TapFields):
    disposition = SelectField(
        "Disposition",
        choices=choices(((d.code, d.label) for d in DISPOSITIONS.values()), blank="Choose a disposition"),
        validators=[DataRequired(message="Choose a disposition.")],
        render_kw={"autofocus": True},  # the form opens below the call: bring it into view
    )
    people_served = IntegerField(
        "People served", validators=[Optional(), NumberRange(0, 50)], default=1
    )
    services = MultiCheckboxField("Services given", choices=choices(SERVICES))
    transport = BooleanField("Transported someone")
    police_requested = BooleanField("Police requested")
    ems_requested = BooleanField("EMS requested")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])


class BackupForm(FlaskForm):
    """One tap: the UUID makes a double tap or an offline replay count once."""

    client_uuid = HiddenField(validators=[InputRequired(), UUID()])
    lat = FloatField(widget=widgets.HiddenInput(), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(widget=widgets.HiddenInput(), validators=[Optional(), NumberRange(-180, 180)])
