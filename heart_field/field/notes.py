"""On the responder's phone: the updates dispatch sent about the current call (newest first,
urgent ones with `Got it`), and what just happened to the team's call from outside (cancelled,
given to another team, diverted). Registered on the field blueprint (routes.py imports this)."""

from dataclasses import dataclass

from flask import redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..access import load_team_of, roles
from ..domain import steering
from ..domain.status import Action
from ..extensions import db
from ..htmx import is_partial
from ..models import Assignment, CallNote, CallResolution, Incident, Role, StatusEvent, Team
from .routes import _screen, bp

STEERED = (Action.CANCEL_CALL.value, Action.REASSIGN.value, Action.DIVERT.value)


@dataclass
class FieldSteering:
    notes: list  # the current call's notes, newest first
    event_id: int | None = None  # the steering entry behind `message`, for the phone's ring
    message: str | None = None  # what dispatch did to the team's call, until the next change


@bp.app_template_global()
def steer_field(team: Team, incident: Incident | None) -> FieldSteering:
    notes = []
    if incident is not None:
        notes = steering.notes_of(db.session, [incident.id], newest_first=True).get(incident.id, [])
    found = FieldSteering(notes)
    # The team's latest entry, if it is a steering one: nothing has happened to the team since.
    event = db.session.scalar(
        select(StatusEvent).where(
            StatusEvent.team_id == team.id,
            StatusEvent.team_version == team.version,
            StatusEvent.action.in_(STEERED),
        )
    )
    if event is not None:
        found.event_id = event.id
        found.message = _message(event)
    return found


def _message(event: StatusEvent) -> str:
    call = db.session.get(Incident, event.incident_id)
    if event.action == Action.CANCEL_CALL:
        resolution = db.session.scalar(
            select(CallResolution).where(CallResolution.incident_id == call.id)
        )
        why = ""
        if resolution is not None:
            why = resolution.reason or resolution.label
        return f"Call {call.cad_number} was cancelled by dispatch" + (f": {why}." if why else ".")
    if event.action == Action.REASSIGN:
        return f"Call {call.cad_number} was given to another team. Your team is available."
    first = db.session.scalar(
        select(Assignment)
        .where(Assignment.team_id == event.team_id, Assignment.end_reason == "diverted")
        .order_by(Assignment.id.desc())
    )
    earlier = f" Call {first.incident.cad_number} went back to the queue." if first else ""
    return f"Diverted by dispatch to call {call.cad_number}: it is below.{earlier}"


class AcknowledgeNoteForm(FlaskForm):
    """`Got it` is a body-less button; it still carries a CSRF token."""


@bp.route("/notes/<int:note_id>/ack", methods=["POST"])
@roles(Role.RESPONDER)
def acknowledge_note(note_id: int):
    """`Got it` on an urgent update about the team's current call."""
    team = load_team_of(current_user)
    if not AcknowledgeNoteForm().validate():
        return _screen(422, notice=("error", "That tap could not be read. Try again."))
    note = db.session.get(CallNote, note_id)
    held = db.session.scalar(
        select(Assignment.incident_id).where(
            Assignment.team_id == team.id, Assignment.ended_at.is_(None)
        )
    )
    if note is None or note.incident_id != held:
        return _screen(404, notice=("refused", "That update is not about your current call."))
    steering.acknowledge_note(db.session, note, current_user)
    if not is_partial():
        return redirect(url_for("field.index"), code=303)
    return _screen(notice=("ok", "Dispatch sees that you have read the update."))
