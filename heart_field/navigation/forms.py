"""The navigator's forms: big radio rows on a phone, a message beside each field."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..choices import choices
from ..models import ATTEMPT_METHODS, ATTEMPT_RESULTS, CLOSE_REASONS, CONNECTION_SERVICES


class ActionForm(FlaskForm):
    """A button that carries nothing but its CSRF token (Claim, Reopen)."""


class AttemptForm(FlaskForm):
    method = RadioField(
        "How",
        choices=choices(ATTEMPT_METHODS),
        validators=[InputRequired(message="Choose how you tried.")],
    )
    result = RadioField(
        "What happened",
        choices=choices(ATTEMPT_RESULTS),
        validators=[InputRequired(message="Choose what happened.")],
    )
    attempted_at = DateTimeLocalField(
        "When",
        validators=[Optional()],
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        description="Local time. Leave empty if it was just now; fill it in for a visit or call made earlier.",
    )
    next_attempt_at = DateTimeLocalField(
        "Next attempt",
        validators=[Optional()],
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        description="Local time. Leave empty if there is none to plan.",
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=1000)])


class ConnectionForm(FlaskForm):
    service = SelectField(
        "Service",
        choices=choices(CONNECTION_SERVICES, blank="Choose a service"),
        validators=[DataRequired(message="Choose a service.")],
    )
    organisation = StringField(
        "Organisation", validators=[DataRequired(message="Name the organisation."), Length(max=200)]
    )
    connected_on = DateField("Date", validators=[InputRequired(message="Give the date.")])


class CloseForm(FlaskForm):
    reason = RadioField(
        "Reason",
        choices=choices(CLOSE_REASONS),
        validators=[InputRequired(message="Choose a reason.")],
    )
    close_note = TextAreaField("Closing note", validators=[Optional(), Length(max=1000)])
