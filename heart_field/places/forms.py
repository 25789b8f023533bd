"""The place-note form and the repeat-contact report's period."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..choices import choices
from ..models.places import NOTE_MAX_CHARS

REPORT_PERIODS = [("30", "Last 30 days"), ("90", "Last 90 days"), ("365", "Last 365 days")]


class PlaceNoteForm(FlaskForm):
    text = TextAreaField(
        "Safety or approach note",
        description=(
            "For the next crew at this place: for example a dog on the premises, the way in, "
            "or a preference the person stated. No diagnoses, no substance-use details, no names."
        ),
        validators=[
            DataRequired("Write the note."),
            Length(max=NOTE_MAX_CHARS, message=f"Keep the note to {NOTE_MAX_CHARS} characters."),
        ],
    )


class RepeatReportForm(FlaskForm):
    class Meta:
        csrf = False

    days = SelectField("Period", choices=choices(REPORT_PERIODS), default="90")


class LinkCallForm(FlaskForm):
    cad_number = StringField(
        "CAD number of the new call",
        description="Only with the person's consent, recorded on this referral.",
        validators=[DataRequired("Give the call's CAD number."), Length(max=40)],
    )
