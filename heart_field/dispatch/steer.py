"""The dispatcher steering calls from the board: updates to the team (notes), cancelling a call
or resolving a waiting one with a coded outcome, reassigning, diverting an en-route team; and
what the board shows for them (waiting times, overdue calls, urgent updates not yet
acknowledged). Registered on the dispatch blueprint (routes.py imports this module)."""

from flask import render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..access import load_incident, roles, team_by_call_sign
from ..choices import choices
from ..domain import steering
from ..domain.status import TRANSITIONS, Action
from ..extensions import db
from ..models import (
    NOTE_MAX_LENGTH,
    RESOLUTIONS,
    Incident,
    Role,
    TeamStatus,
)
from .routes import _board, _done, bp

# The dispatcher's choices, most common first; "cancelled" (other) asks for a reason.
END_CHOICES = {
    "caller_cancelled": RESOLUTIONS["caller_cancelled"],
    "duplicate": RESOLUTIONS["duplicate"],
    "handled_by_phone": RESOLUTIONS["handled_by_phone"],
    "callback_arranged": RESOLUTIONS["callback_arranged"],
    "sent_to_co_response": RESOLUTIONS["sent_to_co_response"],
    "sent_to_police": RESOLUTIONS["sent_to_police"],
    "sent_to_ems": RESOLUTIONS["sent_to_ems"],
    "sent_to_fire": RESOLUTIONS["sent_to_fire"],
    "sent_to_county": RESOLUTIONS["sent_to_county"],
    "no_one_found": RESOLUTIONS["no_one_found"],
    "cancelled": "Other (give the reason)",
}


class NoteForm(FlaskForm):
    text = TextAreaField(
        "Update for the team",
        validators=[
            DataRequired(message="Write the update."),
            Length(max=NOTE_MAX_LENGTH, message="Keep it under 2,000 characters."),
        ],
    )
    urgent = BooleanField("Urgent: the team must tap Got it")


class EndCallForm(FlaskForm):
    code = SelectField(
        "Why",
        choices=choices(END_CHOICES, blank="Choose why"),
        validators=[DataRequired(message="Choose why.")],
    )
    reason = StringField("Reason", validators=[Optional(), Length(max=200)])
    # The call sign on the call as the dispatcher saw it ("" for none): two dispatchers at once.
    team = StringField("Team")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.code.data == "cancelled" and not (self.reason.data or "").strip():
            self.reason.errors.append("Give the reason.")
            return False
        return valid


class ReassignForm(FlaskForm):
    team = StringField("Team", validators=[DataRequired(message="Choose a team.")])
    version = IntegerField("Version", validators=[Optional()])
    from_team = StringField("From team")


class DivertForm(FlaskForm):
    incident = IntegerField("Call", validators=[DataRequired(message="Choose a call.")])
    version = IntegerField("Version", validators=[Optional()])


# What the board shows ------------------------------------------------------------------------


@bp.app_template_global()
def steer_take_off_en_route() -> bool:
    """Whether the status machine lets the dispatcher take an en-route team off its call."""
    return TeamStatus.EN_ROUTE in TRANSITIONS[Action.CANCEL]


# Routes --------------------------------------------------------------------------------------


def _refused(refused: steering.Refused):
    return _board(409, notice=("refused", f"Not done. {refused.message}"))


@bp.route("/incidents/<int:incident_id>/notes", methods=["POST"])
@roles(Role.DISPATCHER)
def add_note(incident_id: int):
    """An update for the team on the call (kept with the call if no team has it yet)."""
    incident = load_incident(incident_id, current_user)
    form = NoteForm()
    if not form.validate():
        message = next(iter(form.errors.values()))[0]
        return _board(422, notice=("error", f"Update not sent. {message}"))
    steering.add_note(db.session, incident, form.text.data.strip(), form.urgent.data, current_user)
    kind = "Urgent update" if form.urgent.data else "Update"
    return _done(f"{kind} added to call {incident.cad_number}.")


@bp.route("/incidents/<int:incident_id>/note-form")
@roles(Role.DISPATCHER)
def note_form(incident_id: int):
    """The "Add update" form of one call, fetched when the dispatcher opens it on the board."""
    incident = load_incident(incident_id, current_user)
    return render_template("dispatch/_note_form.html", incident=incident)


@bp.route("/incidents/<int:incident_id>/end-form")
@roles(Role.DISPATCHER)
def end_form(incident_id: int):
    """The "Cancel call" (a call with a team) or "Resolve call" (a waiting call) form of one
    call, fetched when the dispatcher opens it on the board."""
    incident = load_incident(incident_id, current_user)
    return render_template(
        "dispatch/_end_form.html",
        incident=incident,
        current=incident.current_assignment,
        choices=END_CHOICES,
    )


@bp.route("/incidents/<int:incident_id>/end", methods=["POST"])
@roles(Role.DISPATCHER)
def end_call(incident_id: int):
    """Cancel the call (its team, if any, is released) or resolve a waiting call."""
    incident = load_incident(incident_id, current_user)
    form = EndCallForm()
    if not form.validate():
        message = next(iter(form.errors.values()))[0]
        return _board(422, notice=("error", f"Call {incident.cad_number}: {message}"))
    try:
        steering.end_call(
            db.session,
            incident,
            form.code.data,
            current_user,
            reason=(form.reason.data or "").strip() or None,
            expected_team=form.team.data if form.team.raw_data else None,
        )
    except steering.Refused as refused:
        return _refused(refused)
    return _done(f"Call {incident.cad_number}: {RESOLUTIONS[form.code.data].lower()}.")


@bp.route("/incidents/<int:incident_id>/reassign", methods=["POST"])
@roles(Role.DISPATCHER)
def reassign(incident_id: int):
    """Give the call to another team in one step; the team that had it is released."""
    incident = load_incident(incident_id, current_user)
    form = ReassignForm()
    if not form.validate():
        return _board(422, notice=("error", "Choose a team to give the call to."))
    team = team_by_call_sign(form.team.data)
    if team is None:
        return _board(422, notice=("error", f"There is no team called {form.team.data}."))
    try:
        steering.reassign(
            db.session,
            incident,
            team,
            current_user,
            expected_team=form.from_team.data if form.from_team.raw_data else None,
            expected_version=form.version.data,
        )
    except steering.Refused as refused:
        return _refused(refused)
    return _done(f"Call {incident.cad_number} given to {team.call_sign}.")


@bp.route("/teams/<call_sign>/divert", methods=["POST"])
@roles(Role.DISPATCHER)
def divert(call_sign: str):
    """Send an en-route team to a more urgent call; its first call waits again."""
    team = team_by_call_sign(call_sign)
    if team is None:
        return _board(404, notice=("error", f"There is no team called {call_sign}."))
    form = DivertForm()
    if not form.validate():
        return _board(422, notice=("error", "Choose the call to divert to."))
    incident = db.session.get(Incident, form.incident.data)
    if incident is None:
        return _board(404, notice=("error", "That call does not exist."))
    first = team_first_call(team.id)
    try:
        steering.divert(
            db.session, team, incident, current_user, expected_version=form.version.data
        )
    except steering.Refused as refused:
        return _refused(refused)
    back = f"; call {first} waits again" if first else ""
    return _done(f"{call_sign} diverted to call {incident.cad_number}{back}.")


def team_first_call(team_id: int) -> str | None:
    from ..domain.status import current_assignment

    assignment = current_assignment(db.session, team_id)
    return assignment.incident.cad_number if assignment else None
