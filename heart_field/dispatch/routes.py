"""The dispatcher's page: every team's status live, the call queue with the geofence verdict,
the recommendation and fallback reasons, intake, assignment, placing unverified calls."""

import uuid
from dataclasses import replace

from flask import (
    Blueprint,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from .. import settings
from ..access import load_incident, roles, team_by_call_sign
from ..domain import board, intake, mapping, shifts, signals, status
from ..domain.intake import IncidentInput, create_incident
from ..domain.routing import FALLBACK_REASONS, UNIT_TYPES
from ..domain.shifts import ShiftRefused
from ..domain.status import Action, Tap, TransitionRefused
from ..extensions import db
from ..htmx import is_partial, render_page
from ..models import (
    Incident,
    IncidentStatus,
    Role,
    Team,
    TeamStatus,
)
from . import board as view
from .forms import AcknowledgeForm, AssignForm, CancelForm, ElsewhereForm, IncidentForm, PlaceForm

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")

VIEWERS = (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)


def _board(status_code=200, intake_form=None, notice=None, place_forms=None, elsewhere_forms=None):
    """The whole board (the page, or #board for htmx), in the view the query string asks for."""
    try:
        flt = view.call_filter()
    except view.FilterError as error:
        flt, status_code, notice = board.CallFilter(), 422, ("error", str(error))
    contents = view.whole(flt)
    flt = replace(flt, page=contents["waiting_page"].page)  # a page past the last: the last
    response = make_response(
        *render_page(
            "dispatch/index.html",
            "dispatch/_board.html",
            status_code,
            intake_form=intake_form or IncidentForm(formdata=None),
            notice=notice,
            **view.row_forms(place_forms, elsewhere_forms),
            **contents,
        )
    )
    if is_partial() and request.method == "GET":
        # The address bar follows the view (search, filter, page), so a reload keeps it.
        response.headers["HX-Replace-Url"] = url_for("dispatch.index", **view.view_args(flt))
    return response


@bp.route("/teams/<call_sign>/log-on", methods=["POST"])
@roles(Role.DISPATCHER)
def log_on(call_sign: str):
    """Put a unit on duty (its crew joins as they sign in or start their shift)."""
    return _log_on_or_off(call_sign, shifts.log_on, "is on duty", "was already on duty")


@bp.route("/teams/<call_sign>/log-off", methods=["POST"])
@roles(Role.DISPATCHER)
def log_off(call_sign: str):
    """Take a unit off duty, ending its crew's shifts; refused while it holds a call."""
    return _log_on_or_off(call_sign, shifts.log_off, "is off duty", "was already off duty")


def _log_on_or_off(call_sign: str, change, done: str, unchanged: str):
    team = team_by_call_sign(call_sign)
    if team is None or team.retired_at is not None:
        return _board(404, notice=("error", f"There is no unit called {call_sign}."))
    if not CancelForm().validate():
        return _board(422, notice=("error", "That request could not be read. Reload the page."))
    try:
        changed = change(db.session, team, current_user)
    except ShiftRefused as refused:
        return _board(409, notice=("refused", f"Not done. {refused.message}"))
    return _done(f"{team.call_sign} {done if changed else unchanged}.")


@bp.route("/")
@roles(*VIEWERS)
def index():
    return _board()


@bp.route("/board", endpoint="board")
@roles(*VIEWERS)
def whole_board():
    """The board alone: a search, a filter, a page, or a refresh after a gap in the stream."""
    return _board()


@bp.route("/board/changes")
@roles(*VIEWERS)
def board_changes():
    """What changed since the board's cursor (?after=N), as rows to swap in by id (htmx
    out-of-band swaps); 204 when nothing did. Too far behind, or units logged on or off:
    the whole board, swapped in whole (HX-Reswap)."""
    after = request.args.get("after", "")
    if not after.isdigit():
        return jsonify(error="bad_request", message="after must be a feed cursor (a number)."), 400
    try:
        flt = view.call_filter()
    except view.FilterError as error:
        return jsonify(error="bad_request", message=str(error)), 400
    changes = board.changes_after(db.session, int(after))
    if changes.whole_board:
        response = _board()
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    tick = request.args.get("tick") == "1"
    if not changes.any and not tick:
        return "", 204
    response = make_response(
        render_template("dispatch/_changes.html", **view.changed_rows(flt, changes, tick))
    )
    response.headers["X-Board-Cursor"] = str(changes.cursor)
    return response


@bp.route("/city-limits.json")
@roles(*VIEWERS)
def city_limits():
    """The city limits, simplified for the map (the geofence itself keeps the full polygon)."""
    response = jsonify(mapping.drawing_boundary(settings.dispatching().city_limits))
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response


def _intake_input(form: IncidentForm) -> IncidentInput:
    return IncidentInput(
        cad_number=(form.cad_number.data or "").strip(),
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
    )


@bp.route("/preview", methods=["POST"])
@roles(Role.DISPATCHER)
def preview():
    """The verdict and recommendation for the call being typed, before it is entered."""
    form = IncidentForm()
    form.validate()
    location_ok = not (form.lat.errors or form.lon.errors or form.address.errors)
    has_location = (form.lat.data is not None and form.lon.data is not None) or (
        form.address.data or ""
    ).strip()
    found = None
    if location_ok and has_location and form.call_type.data:
        found = intake.assess(db.session, _intake_input(form), settings.dispatching())
    elif location_ok and form.lat.data is not None and form.lon.data is not None:
        # A point picked on the map before the call type: the geofence verdict already stands.
        within = settings.dispatching().city_limits.contains(form.lat.data, form.lon.data)
        found = intake.Assessment(form.lat.data, form.lon.data, within, None)
    return render_template(
        "dispatch/_verdict.html",
        preview=found,
        asked=bool(has_location),
        call_type_missing=not form.call_type.data,
        fallback_labels=FALLBACK_REASONS,
        unit_labels=UNIT_TYPES,
    )


@bp.route("/incidents", methods=["POST"])
@roles(Role.DISPATCHER)
def create():
    form = IncidentForm()
    if not form.validate():
        return _board(422, intake_form=form)
    if db.session.scalar(
        select(Incident.id).where(Incident.cad_number == form.cad_number.data.strip())
    ):
        form.cad_number.errors.append("A call with this CAD number already exists.")
        return _board(422, intake_form=form)
    incident = create_incident(
        db.session, _intake_input(form), current_user, settings.dispatching()
    )
    return _done(_entered_message(incident))


def _entered_message(incident: Incident) -> str:
    if incident.location_unverified:
        return (
            f"Call {incident.cad_number} entered. Its address was not found: place it on the board."
        )
    if incident.status == IncidentStatus.ROUTED_ELSEWHERE:
        return f"Call {incident.cad_number} entered: not HEART's ({incident.fallback_label}). Record who went."
    if incident.recommended_team:
        return f"Call {incident.cad_number} entered. Recommended: {incident.recommended_team.call_sign}."
    return f"Call {incident.cad_number} entered."


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
    return _transition(
        assignment.team, tap, f"Assignment of {assignment.team.call_sign} cancelled."
    )


def _waiting_or_409(incident: Incident):
    if incident.status != IncidentStatus.OPEN or incident.current_assignment is not None:
        return _board(
            409,
            notice=(
                "refused",
                f"Call {incident.cad_number} is {incident.status_label}, not waiting for a team.",
            ),
        )
    return None


@bp.route("/incidents/<int:incident_id>/place", methods=["POST"])
@roles(Role.DISPATCHER)
def place(incident_id: int):
    """Place a call whose location is unverified, then geofence and route it again."""
    incident = load_incident(incident_id, current_user)
    refused = _waiting_or_409(incident)
    if refused:
        return refused
    form = PlaceForm()
    if not form.validate():
        return _board(422, place_forms={incident.id: form})
    lat, lon = form.lat.data, form.lon.data
    if lat is None:
        point = settings.dispatching().geocoder.geocode(form.address.data)
        if point is None:
            form.address.errors.append(
                "No match for that address. Try another spelling, or give coordinates."
            )
            return _board(422, place_forms={incident.id: form})
        lat, lon = point
    intake.place_incident(db.session, incident, lat, lon, settings.dispatching())
    verdict = "inside" if incident.within_city_limits else "outside"
    return _done(f"Call {incident.cad_number} placed {verdict} city limits.")


@bp.route("/incidents/<int:incident_id>/reroute", methods=["POST"])
@roles(Role.DISPATCHER)
def reroute(incident_id: int):
    """Recommend again from the teams free now (after a decline, or a team freeing up)."""
    incident = load_incident(incident_id, current_user)
    refused = _waiting_or_409(incident)
    if refused:
        return refused
    if not CancelForm().validate():
        return _board(422, notice=("error", "That request could not be read. Reload the page."))
    if incident.location_unverified:
        return _board(409, notice=("refused", f"Place call {incident.cad_number} first."))
    intake.reroute(db.session, incident, settings.dispatching())
    return _done(_entered_message(incident).replace(" entered", " routed again"))


@bp.route("/incidents/<int:incident_id>/elsewhere", methods=["POST"])
@roles(Role.DISPATCHER)
def elsewhere(incident_id: int):
    """Record which responder went instead of HEART."""
    incident = load_incident(incident_id, current_user)
    form = ElsewhereForm()
    if (
        not incident.fallback_reason
        or incident.current_assignment is not None
        or incident.status not in (IncidentStatus.OPEN, IncidentStatus.ROUTED_ELSEWHERE)
    ):
        return _board(
            409, notice=("refused", f"Call {incident.cad_number} is HEART's: assign a team.")
        )
    if not form.validate():
        return _board(422, elsewhere_forms={incident.id: form})
    intake.route_elsewhere(db.session, incident, form.responder.data)
    return _done(
        f"Call {incident.cad_number}: {intake.OTHER_RESPONDERS[form.responder.data]} went instead."
    )


@bp.route("/teams/<call_sign>/acknowledge", methods=["POST"])
@roles(Role.DISPATCHER)
def acknowledge(call_sign: str):
    """The dispatcher has seen a backup request, or has checked on a team long on scene."""
    team = team_by_call_sign(call_sign)
    if team is None:
        return _board(404, notice=("error", f"There is no team called {call_sign}."))
    form = AcknowledgeForm()
    if not form.validate():
        return _board(422, notice=("error", "That request could not be read. Reload the page."))
    kind = signals.BACKUP_ACK if form.kind.data == "backup" else signals.WELFARE_ACK
    if kind == signals.BACKUP_ACK and team.id not in signals.open_backups(db.session):
        return _board(409, notice=("refused", f"{team.call_sign} has no backup request waiting."))
    if kind == signals.WELFARE_ACK and team.status != TeamStatus.ON_SCENE:
        return _board(
            409, notice=("refused", f"{team.call_sign} is {team.status_label}, not on scene.")
        )
    assignment = status.current_assignment(db.session, team.id)
    signals.record(
        db.session,
        team,
        kind,
        current_user.id,
        str(uuid.uuid4()),
        incident_id=assignment.incident_id if assignment else None,
    )
    what = "Backup request" if kind == signals.BACKUP_ACK else "Welfare check"
    return _done(f"{what} for {team.call_sign} acknowledged.")


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


from . import steer  # noqa: E402,F401  (registers notes, cancel, reassign, divert on this blueprint)
