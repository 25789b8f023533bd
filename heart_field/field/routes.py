"""The responder's screen: the team's current call and the taps that move it along."""

import uuid
from datetime import timedelta

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import inspect, select

from .. import settings
from ..access import load_team_of, roles
from ..domain import feed, mapping, signals, status, whereabouts
from ..domain.status import ON_A_CALL, Action, OutcomeInput, Tap, TeamState, TransitionRefused
from ..extensions import db
from ..htmx import is_partial, render_page
from ..models import Incident, Role, StatusEvent, TeamStatus, utcnow
from .backup_state import backup_state
from .forms import BackupForm, DeclineForm, OutcomeForm, TapFields, TapForm
from .freshness import conditional_card

bp = Blueprint("field", __name__, url_prefix="/field")

# Actions the status form takes; Clear goes through the outcome form, Decline its own.
TAP_ACTIONS = {
    Action.ACCEPT,
    Action.EN_ROUTE,
    Action.ON_SCENE,
    Action.OUT_OF_SERVICE,
    Action.BACK_IN_SERVICE,
}

# The confirmation of the last applied tap stays on the card (which refreshes when the tap's
# own event arrives) until the team changes again, or for this long.
NOTICE_SECONDS = 120


def _steps_context(team, accepted: bool, panel=None) -> dict:
    """What field/_steps.html needs: the steps from the status core, and the panels."""
    steps = status.next_steps(team.status, team.version, accepted)
    decline_step = next((s for s in steps if Action.DECLINE in s.actions), None)
    outcome_step = next((s for s in steps if Action.CLEAR in s.actions), None)
    return dict(
        steps=steps,
        # Panels ride along hidden, so Decline and Clear work without the network.
        decline_step=decline_step,
        outcome_step=outcome_step,
        decline_button=decline_step.button(Action.DECLINE) if decline_step else None,
        outcome_button=outcome_step.button(Action.CLEAR) if outcome_step else None,
        decline_form=DeclineForm(formdata=None),
        outcome_form=OutcomeForm(formdata=None),
        new_uuid=lambda: str(uuid.uuid4()),
        can_ask_backup=team.status in ON_A_CALL,
        status_actions=Action,
        panel=panel,
    )


def _screen(status_code=200, notice=None, form=None, panel=None):
    """The team's card, with an optional open panel (decline or outcome form)."""
    from .handoff import handoff_context
    from .shift import start_screen

    if current_user.open_shift is None:
        return start_screen(status_code, notice)
    # Read before what the card shows, so every event up to it is on the card (live.js).
    cursor = feed.latest_cursor(db.session)
    team = load_team_of(current_user)
    assignment = status.current_assignment(db.session, team.id)
    backup = backup_state(db.session, team.id, assignment)
    incident = assignment.incident if assignment else None
    accepted = assignment is not None and assignment.accepted_at is not None
    return render_page(
        "field/index.html",
        "field/_card.html",
        status_code,
        team=team,
        assignment=assignment,
        incident=incident,
        **_way_there(incident),
        **_steps_context(team, accepted, panel),
        notice=notice or _kept_notice(team),
        form=form,
        backup=backup,
        cursor=cursor,
        **handoff_context(current_user, team),
    )


def _tap_answer(team: TeamState, notice, status_code=200):
    """What a tap changed: the buttons, the team bar and the notice (field/_tap_answer.html).
    A page without htmx gets the whole screen."""
    if not is_partial():
        return _screen(status_code, notice=notice)
    context = _steps_context(team, team.accepted)
    # En route puts Navigate first in the thumb zone: that one needs the call's place.
    navigate_url = None
    if team.status == TeamStatus.EN_ROUTE and team.incident_id is not None:
        navigate_url = _navigate_url(db.session.get(Incident, team.incident_id))
    return render_template(
        "field/_tap_answer.html", team=team, notice=notice, navigate_url=navigate_url, **context
    ), status_code


def _kept_notice(team):
    """The confirmation of this responder's own last tap, while it is still the team's latest
    change (and recent): the card refresh its own feed event brings keeps saying so. Read
    from the feed, so it holds however the refresh and the tap's answer race."""
    last = db.session.execute(
        select(StatusEvent.action, StatusEvent.actor_id, StatusEvent.received_at)
        .where(
            StatusEvent.team_id == team.id,
            StatusEvent.team_version == team.version,
            StatusEvent.action.in_([a.value for a in status.RULES]),
        )
        .order_by(StatusEvent.id.desc())
        .limit(1)
    ).first()
    me = inspect(current_user._get_current_object()).identity[0]  # not reloaded after a commit
    if last is None or last.actor_id != me:
        return None
    if utcnow() - last.received_at > timedelta(seconds=NOTICE_SECONDS):
        return None
    return ("ok", f"{Action(last.action).label}: saved.")


def _way_there(incident) -> dict:
    """The call's static map and the link that opens the phone's own maps app there."""
    if incident is None:
        return {"call_map": None, "navigate_url": None, "whereabouts": None, "team_mark": None}
    call_map = where = team_mark = None
    if incident.lat is not None and incident.lon is not None:
        call_map = mapping.static_map(
            settings.dispatching().city_limits, incident.lat, incident.lon
        )
        where = _whereabouts(incident)
        team = incident.current_assignment.team if incident.current_assignment else None
        if team is not None and team.last_lat is not None:
            team_mark = whereabouts.frame_point(
                (incident.lat, incident.lon),
                (team.last_lat, team.last_lon),
                call_map.km_across,
                call_map.width,
                call_map.height,
            )
    return {
        "call_map": call_map,
        "navigate_url": _navigate_url(incident),
        "whereabouts": where,
        "team_mark": team_mark,
    }


def _whereabouts(incident):
    """The call's nearest landmark, and its distance and direction from the team's last position
    (what the small map cannot show without tiles)."""
    team = incident.current_assignment.team if incident.current_assignment else None
    team_at = (team.last_lat, team.last_lon) if team and team.last_lat is not None else None
    places = whereabouts.load_places(current_app.config.get("HEART_GAZETTEER"))
    return whereabouts.describe(
        incident.lat, incident.lon, places, team_at, has_address=bool(incident.address)
    )


def _navigate_url(incident) -> str:
    app = mapping.maps_app(request.user_agent.string)
    return mapping.navigate_url(incident.lat, incident.lon, incident.address, app)


@bp.after_request
def vary_by_device(response):
    """The Navigate link depends on the phone (geo: on Android, a maps link elsewhere)."""
    response.vary.add("User-Agent")
    return response


@bp.route("/")
@roles(Role.RESPONDER)
def index():
    from .shift import join_home_unit_unless_ended

    join_home_unit_unless_ended()
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
        return _retarget_card(
            _screen(422, notice=("error", "That tap could not be read. Try again."))
        )
    return _apply(Tap(action=Action(form.action.data), **_tap_fields(form)), form.team.data)


@bp.route("/decline", methods=["GET", "POST"])
@roles(Role.RESPONDER)
def decline():
    form = DeclineForm()
    if form.is_submitted():
        if not form.validate():
            return _retarget_card(_screen(422, form=form, panel="decline"))
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
            return _retarget_card(_screen(422, form=form, panel="outcome"))
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
        then = None
        if refer:
            assignment = status.current_assignment(db.session, load_team_of(current_user).id)
            then = assignment.incident if assignment else None
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
    open the referral form. An htmx tap answers with what changed (_tap_answer)."""
    if current_user.open_shift is None:
        from .shift import not_on_shift

        return not_on_shift(made_for)
    team = load_team_of(current_user)
    if made_for and made_for != team.call_sign:
        # A tap queued on a shared device by someone on another team: never apply it here.
        refused = ("refused", f"Not applied. That tap was made for {made_for}.")
        return _tap_answer(status.team_state(db.session, team.id), refused, 409)
    try:
        result = status.apply(db.session, team, tap, actor=current_user)
    except TransitionRefused as refused:
        return _tap_answer(refused.team, ("refused", f"Not applied. {refused.message}"), 409)
    done = f"{Action(result.event.action).label}: saved."
    if refer_from is not None:
        from .handoff import referral_form_page

        if not is_partial():
            return redirect(url_for("field.referral", incident_id=refer_from.id), code=303)
        page = referral_form_page(refer_from, notice=("ok", "Outcome saved. Now the referral."))
        return _retarget_card(page)
    if not is_partial():
        return redirect(url_for("field.index"), code=303)
    if result.applied and result.event.incident_id and result.team.assignment_id is None:
        # The call is over (clear, decline): the card changes as a whole.
        return _retarget_card(_screen(notice=("ok", done)))
    return _tap_answer(result.team, ("ok", done))


def _retarget_card(answer):
    """An answer that is the whole card, to a form whose target is the buttons (#field-steps)."""
    response = make_response(answer)
    response.headers["HX-Retarget"] = "#field-card"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.route("/backup", methods=["POST"])
@roles(Role.RESPONDER)
def backup():
    """Backup: one tap on an active call raises an alert on the board until dispatch acknowledges it.
    Not a status change: the team's status stays as it is."""
    if current_user.open_shift is None:
        from .shift import not_on_shift

        return not_on_shift(None)
    team = load_team_of(current_user)
    form = BackupForm()
    if not form.validate():
        return _screen(422, notice=("error", "That tap could not be read. Try again."))
    assignment = status.current_assignment(db.session, team.id)
    if assignment is None or team.status not in ON_A_CALL:
        return _screen(
            409, notice=("refused", "Backup is for an active call. Call dispatch by radio.")
        )
    signals.record(
        db.session,
        team,
        signals.BACKUP,
        current_user.id,
        form.client_uuid.data,
        incident_id=assignment.incident_id,
        lat=form.lat.data,
        lon=form.lon.data,
        occurred_at=form.occurred_at.data,
    )
    if not is_partial():
        return redirect(url_for("field.index"), code=303)
    return _screen(notice=("ok", "Backup requested."))


from . import handoff, shift  # noqa: E402,F401  (hand-off, Start shift and End shift routes)
from . import notes as _notes  # noqa: E402,F401  (dispatch's updates and Got it)
