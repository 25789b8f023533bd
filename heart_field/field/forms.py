"""The responder's forms. Hidden fields carry what the status machine needs."""

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    widgets,
)
from wtforms.validators import UUID, DataRequired, InputRequired, Length, NumberRange, Optional

from ..choices import choices
from ..models import DISPOSITIONS, NEEDS, SERVICES, Urgency

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
        self.data = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)

    def _value(self):
        return self.data.isoformat() if self.data else ""


class TapFields(FlaskForm):
    """What every status tap carries. The UUID is rendered fresh with each screen, so a
    double tap or an offline replay of the same button is applied once."""

    version = IntegerField(widget=widgets.HiddenInput(), validators=[InputRequired()])
    client_uuid = HiddenField(validators=[InputRequired(), UUID()])
    team = HiddenField()  # the call sign the screen showed when the tap was made
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
        choices=choices(
            ((d.code, d.label) for d in DISPOSITIONS.values()), blank="Choose a disposition"
        ),
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
    # Saves the outcome (clearing the team), then opens the referral form.
    refer = SubmitField("Refer to Care Navigation")


class BackupForm(FlaskForm):
    """One tap: the UUID makes a double tap or an offline replay count once."""

    client_uuid = HiddenField(validators=[InputRequired(), UUID()])
    lat = FloatField(widget=widgets.HiddenInput(), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(widget=widgets.HiddenInput(), validators=[Optional(), NumberRange(-180, 180)])
    # When the phone made it: a request sent from the offline outbox shows on the board as late.
    occurred_at = DeviceTimeField()


CONSENT = {"yes": "Yes, they agree to be contacted", "no": "No, they do not agree"}


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


class ReferralForm(FlaskForm):
    """The hand-off to Care Navigation. Without consent, nothing else is kept."""

    client_uuid = HiddenField(validators=[InputRequired(), UUID()])
    consent = RadioField(
        "Does the person agree to be contacted by Care Navigation?",
        choices=choices(CONSENT),
        validators=[InputRequired(message="Record whether the person agrees.")],
    )
    person_name = StringField("Name or alias", validators=[Optional(), Length(max=120)])
    phone = TelField("Phone", validators=[Optional(), Length(max=40)])
    other_contact = StringField(
        "Other way to reach them",
        validators=[Optional(), Length(max=200)],
        description="For example a shelter, a day centre, a relative.",
    )
    best_time = StringField("Best time to reach them", validators=[Optional(), Length(max=120)])
    may_leave_message = BooleanField("OK to leave a message")
    needs = MultiCheckboxField("Needs", choices=choices(NEEDS))
    urgency = RadioField(
        "Urgency",
        choices=choices((u.value, u.label) for u in Urgency),
        default=Urgency.WITHIN_48_HOURS.value,
        validators=[InputRequired(message="Choose how soon.")],
    )
    notes = TextAreaField("Notes for the navigator", validators=[Optional(), Length(max=2000)])
    sensitive_notes = TextAreaField(
        "Substance-use details",
        validators=[Optional(), Length(max=2000)],
        description="Seen by navigators only (42 CFR Part 2).",
    )

    @property
    def consented(self) -> bool:
        return self.consent.data == "yes"

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.consent.errors or self.client_uuid.errors:
            return False
        if not self.consented:
            return True  # nothing else is kept, so nothing else is checked
        if not (self.person_name.data or "").strip():
            self.person_name.errors.append("Give a name or an alias.")
        phone = (self.phone.data or "").strip()
        if phone:
            digits = _digits(phone)
            if len(digits) == 11 and digits.startswith("1"):
                digits = digits[1:]
            if len(digits) != 10:
                self.phone.errors.append("Enter a 10-digit phone number, like 919-555-0142.")
            else:
                self.phone.data = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
        elif not (self.other_contact.data or "").strip():
            self.phone.errors.append("Give a phone number or another way to reach them.")
        if not self.needs.data:
            self.needs.errors.append("Choose at least one need.")
        return valid and not (self.person_name.errors or self.phone.errors or self.needs.errors)
