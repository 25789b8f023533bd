"""The dispatcher's page: every team's status, open calls, intake and assignment."""

import uuid

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import status
from ..access import load_incident, roles, team_by_call_sign
from ..extensions import db
from ..htmx import is_partial, render_page
from ..intake import IncidentInput, create_incident
from ..models import (
    ACTIVE_INCIDENT_STATUSES,
    Assignment,
    Incident,     IncidentStatus,
    Role,
    Team,
    TeamStatus,
)
from ..status import Action, Tap, TransitionRefused
from .forms import AssignForm, CancelForm, IncidentForm

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")

VIEWERS = (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)


def _board(status_code=200, intake_form=None, notice=None):
    teams = db.session.scalars(select(Team).order_by(Team.call_sign)).all()
    open_statuses = [IncidentStatus.OPEN, *ACTIVE_INCIDENT_STATUSES]
    incidents = db.session.scalars(
        select(Incident)
        .where(Incident.status.in_(open_statuses))
        .order_by(Incident.priority, Incident.received_at)
    ).all()
    open_assignments = db.session.scalars(
        select(Assignment).where(Assignment.ended_at.is_(None))
    ).all()
    return render_page(
        "dispatch/index.html",
        "dispatch/_board.html",
        status_code,
        teams=teams,
        available=[t for t in teams if t.status == TeamStatus.AVAILABLE],
        team_assignments={a.team_id: a for a in open_assignments},
        late=status.late_statuses(db.session),
        incidents=incidents,
        intake_form=intake_form or IncidentForm(formdata=None),
        action_form=CancelForm(),
        can_dispatch=current_user.role == Role.DISPATCHER,
        notice=notice,
    )


@bp.route("/")
@roles(*VIEWERS)
def index():
    return _board()


@bp.route("/board")
@roles(*VIEWERS)
def board():
    """The board alone, polled by the page."""
    return _board()


@bp.route("/incidents", methods=["POST"])
@roles(Role.DISPATCHER)
def create():
    form = IncidentForm()
    if not form.validate():
        return _board(422, intake_form=form)
    if db.session.scalar(select(Incident.id).where(Incident.cad_number == form.cad_number.data)):
        form.cad_number.errors.append("A call with this CAD number already exists.")
        return _board(422, intake_form=form)
    incident = create_incident(
        db.session,
        IncidentInput(
            cad_number=form.cad_number.data.strip(),
            call_type=form.call_type.data,
            priority=form.priority.data,
            address=(form.address.data or "").strip() or None,
            lat=form.lat.data,
            lon=form.lon.data,
            weapons=form.weapons.data,
            violence=form.violence.data,
            medical_emergency=form.medical_emergency.data,
            narrative=(form.narrative.data or "").strip() or None,
            callback_phone=(form.callback_phone.data or "").strip() or None,
        ),
        actor=current_user,
    )
    return _done(f"Call {incident.cad_number} entered.")


@bp.route("/incidents/<int:incident_id>/assign", methods=["POST"])
@roles(Role.DISPATCHER)
def assign(incident_id: int):
    incident = load_incident(incident_id, current_user)
    form = AssignForm()
    if not form.validate():
        return _board(422, notice=("error", "Choose a team to assign."))
    team = team_by_call_sign(form.team.data)
    if team is None:
        return _board(422, notice=("error", f"There is no team called {form.team.data}."))
    tap = Tap(
        action=Action.ASSIGN,
        client_uuid=str(uuid.uuid4()),
        expected_version=form.version.data,
        incident_id=incident.id,
    )
    return _transition(team, tap, f"{team.call_sign} assigned to call {incident.cad_number}.")


@bp.route("/incidents/<int:incident_id>/cancel", methods=["POST"])
@roles(Role.DISPATCHER)
def cancel(incident_id: int):
    """Cancel the assignment: the team becomes available and the call waits for another."""
    incident = load_incident(incident_id, current_user)
    if not CancelForm().validate():
        return _board(422, notice=("error", "That request could not be read. Reload the page."))
    assignment = incident.current_assignment
    if assignment is None:
        return _board(409, notice=("refused", f"Call {incident.cad_number} has no team to cancel."))
    tap = Tap(action=Action.CANCEL, client_uuid=str(uuid.uuid4()), reason="dispatcher cancelled")
    return _transition(assignment.team, tap, f"Assignment of {assignment.team.call_sign} cancelled.")


def _transition(team: Team, tap: Tap, message: str):
    try:
        status.apply(db.session, team, tap, actor=current_user)
    except TransitionRefused as refused:
        return _board(409, notice=("refused", f"Not done. {refused.message}"))
    return _done(message)


def _done(message: str):
    if is_partial():
        return _board(notice=("ok", message))
    flash(message)
    return redirect(url_for("dispatch.index"), code=303)
