"""The responder's screen: the team's current call and the taps that move it along."""

import uuid
from dataclasses import dataclass

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from .. import live
from ..access import load_team_of, roles
from ..domain import intake, mapping, status
from ..domain.status import Action, OutcomeInput, Tap, TransitionRefused
from ..extensions import db
from ..htmx import is_partial, render_page
from ..models import Assignment, Role, Team, TeamStatus
from .forms import BackupForm, DeclineForm, OutcomeForm, TapFields, TapForm
from .freshness import conditional_card

bp = Blueprint("field", __name__, url_prefix="/field")

# Actions the status form takes; Clear goes through the outcome form.
TAP_ACTIONS = {
    Action.ACCEPT,
    Action.EN_ROUTE,
    Action.ON_SCENE,
    Action.OUT_OF_SERVICE,
    Action.BACK_IN_SERVICE,
}


ON_A_CALL = (TeamStatus.ASSIGNED, TeamStatus.EN_ROUTE, TeamStatus.ON_SCENE)

# The way a call usually goes. Offline, the screen walks along it without the server.
HAPPY_PATH = (Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE, Action.CLEAR)
STATUS_AFTER = {
    Action.ACCEPT: TeamStatus.ASSIGNED,
    Action.DECLINE: TeamStatus.AVAILABLE,
    Action.EN_ROUTE: TeamStatus.EN_ROUTE,
    Action.ON_SCENE: TeamStatus.ON_SCENE,
    Action.CLEAR: TeamStatus.AVAILABLE,
    Action.OUT_OF_SERVICE: TeamStatus.OUT_OF_SERVICE,
    Action.BACK_IN_SERVICE: TeamStatus.AVAILABLE,
}


@dataclass(frozen=True)
class Step:
    """The buttons shown together, and the row version the team will have when they are.

    Only the first step shows at first. Each applied tap raises the team's version by one, so
    the taps a responder makes in a row without the network expect version + 1, + 2, ...: the
    server applies such a chain in order, and refuses the rest of it once one is refused.
    """

    actions: tuple[Action, ...]
    version: int

    @property
    def status_after(self) -> str:
        return STATUS_AFTER[self.actions[0]].label


def next_steps(team: Team, assignment: Assignment | None) -> list[Step]:
    actions = status.allowed_actions(team.status, assignment)
    # Out of service is offered inside the team's details, away from the thumb (_card.html).
    if team.status == TeamStatus.OUT_OF_SERVICE:
        actions.append(Action.BACK_IN_SERVICE)
    if not actions:
        return []
    steps = [Step(tuple(actions), team.version)]
    if assignment is not None and actions[0] in HAPPY_PATH:
        later = HAPPY_PATH[HAPPY_PATH.index(actions[0]) + 1 :]
        steps += [Step((action,), team.version + n) for n, action in enumerate(later, start=1)]
    return steps


_UNKNOWN = object()


def _screen(status_code=200, notice=None, form=None, panel=None, assignment=_UNKNOWN):
    """The team's card, with an optional open panel (decline or outcome form). `assignment`:
    the team's open assignment when the caller already knows it (after an applied tap)."""
    from .handoff import handoff_context

    # Read before what the card shows, so every event up to it is on the card (live.js).
    cursor = live.latest_cursor(db.session)
    team = load_team_of(current_user)
    if assignment is _UNKNOWN:
        assignment = status.current_assignment(db.session, team.id)
    backup = live.open_backups(db.session).get(team.id)
    steps = next_steps(team, assignment)
    incident = assignment.incident if assignment else None
    return render_page(
        "field/index.html",
        "field/_card.html",
        status_code,
        team=team,
        assignment=assignment,
        incident=incident,
        **_way_there(incident),
        steps=steps,
        # Panels ride along hidden, so Decline and Clear work without the network.
        decline_step=next((s for s in steps if Action.DECLINE in s.actions), None),
        outcome_step=next((s for s in steps if Action.CLEAR in s.actions), None),
        decline_form=DeclineForm(formdata=None),
        outcome_form=OutcomeForm(formdata=None),
        new_uuid=lambda: str(uuid.uuid4()),
        notice=notice,
        form=form,
        panel=panel,
        status_actions=Action,
        backup=backup,
        can_ask_backup=assignment is not None and team.status in ON_A_CALL,
        cursor=cursor,
        **handoff_context(current_user, team),
    )


def _way_there(incident) -> dict:
    """The call's static map and the link that opens the phone's own maps app there."""
    if incident is None:
        return {"call_map": None, "navigate_url": None}
    call_map = None
    if incident.lat is not None and incident.lon is not None:
        call_map = mapping.static_map(intake.current().city_limits, incident.lat, incident.lon)
    app = mapping.maps_app(request.user_agent.string)
    return {
        "call_map": call_map,
        "navigate_url": mapping.navigate_url(incident.lat, incident.lon, incident.address, app),
    }


@bp.after_request
def vary_by_device(response):
    """The Navigate link depends on the phone (geo: on Android, a maps link elsewhere)."""
    response.vary.add("User-Agent")
    return response


@bp.route("/")
@roles(Role.RESPONDER)
def index():
    return _screen()


@bp.route("/card")
@roles(Role.RESPONDER)
@conditional_card
def card():
    """The card alone, for the screen's refresh."""
    return _screen()


@bp.route("/status", methods=["POST"])
@roles(Role.RESPONDER)
def tap():
    form = TapForm()
    if not form.validate() or form.action.data not in TAP_ACTIONS:
        return _screen(422, notice=("error", "That tap could not be read. Try again."))
    return _apply(Tap(action=Action(form.action.data), **_tap_fields(form)), form.team.data)


@bp.route("/decline", methods=["GET", "POST"])
@roles(Role.RESPONDER)
def decline():
    form = DeclineForm()
    if form.is_submitted():
        if not form.validate():
            return _screen(422, form=form, panel="decline")
        return _apply(
            Tap(action=Action.DECLINE, reason=form.reason.data, **_tap_fields(form)), form.team.data
        )
    return _screen(form=form, panel="decline")


@bp.route("/outcome", methods=["GET", "POST"])
@roles(Role.RESPONDER)
def outcome():
    """Clear: the outcome form. Saving it records the outcome and makes the team available."""
    form = OutcomeForm()
    if form.is_submitted():
        if not form.validate():
            return _screen(422, form=form, panel="outcome")
        outcome = OutcomeInput(
            disposition=form.disposition.data,
            people_served=form.people_served.data,
            services=tuple(form.services.data or ()),
            transport=form.transport.data,
            police_requested=form.police_requested.data,
            ems_requested=form.ems_requested.data,
            notes=(form.notes.data or "").strip() or None,
        )
        # The outcome is saved (and the team cleared) either way; a referral is the next step.
        refer = form.refer.data or form.disposition.data == "referred_care_navigation"
        assignment = status.current_assignment(db.session, load_team_of(current_user).id)
        then = assignment.incident if refer and assignment else None
        return _apply(
            Tap(action=Action.CLEAR, outcome=outcome, **_tap_fields(form)),
            form.team.data,
            refer_from=then,
        )
    return _screen(form=form, panel="outcome")


def _tap_fields(form: TapFields) -> dict:
    return dict(
        client_uuid=form.client_uuid.data,
        expected_version=form.version.data,
        occurred_at=form.occurred_at.data,
        lat=form.lat.data,
        lon=form.lon.data,
    )


def _apply(tap: Tap, made_for: str | None, refer_from=None):
    """Apply the tap made for team `made_for`; after a clear with `refer_from` (the call),
    open the referral form."""
    team = load_team_of(current_user)
    if made_for and made_for != team.call_sign:
        # A tap queued on a shared device by someone on another team: never apply it here.
        return _screen(409, notice=("refused", f"Not applied. That tap was made for {made_for}."))
    try:
        result = status.apply(db.session, team, tap, actor=current_user)
    except TransitionRefused as refused:
        return _screen(409, notice=("refused", f"Not applied. {refused.message}"))
    if refer_from is not None:
        from .handoff import referral_form_page

        if not is_partial():
            return redirect(url_for("field.referral", incident_id=refer_from.id), code=303)
        return referral_form_page(refer_from, notice=("ok", "Outcome saved. Now the referral."))
    if not is_partial():
        return redirect(url_for("field.index"), code=303)
    done = Action(result.event.action).label
    if result.applied:
        return _screen(notice=("ok", f"{done}: saved."), assignment=result.assignment)
    return _screen(notice=("ok", f"{done}: saved."))


@bp.route("/backup", methods=["POST"])
@roles(Role.RESPONDER)
def backup():
    """Backup: one tap on an active call raises an alert on the board until dispatch acknowledges it.
    Not a status change: the team's status stays as it is."""
    team = load_team_of(current_user)
    form = BackupForm()
    if not form.validate():
        return _screen(422, notice=("error", "That tap could not be read. Try again."))
    assignment = status.current_assignment(db.session, team.id)
    if assignment is None or team.status not in ON_A_CALL:
        return _screen(
            409, notice=("refused", "Backup is for an active call. Call dispatch by radio.")
        )
    live.signal(
        db.session,
        team,
        live.BACKUP,
        current_user,
        form.client_uuid.data,
        incident_id=assignment.incident_id,
        lat=form.lat.data,
        lon=form.lon.data,
    )
    if not is_partial():
        return redirect(url_for("field.index"), code=303)
    return _screen(notice=("ok", "Backup requested."))


from . import handoff  # noqa: E402,F401  (registers the hand-off routes on this blueprint)
