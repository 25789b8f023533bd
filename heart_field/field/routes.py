"""The responder's screen: the team's current call and the taps that move it along."""

import time
import uuid

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..access import load_team_of, roles
from ..domain import feed, intake, mapping, signals, status
from ..domain.status import ON_A_CALL, Action, OutcomeInput, Tap, TeamState, TransitionRefused
from ..extensions import db
from ..htmx import is_partial, render_page
from ..models import Role
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
_NOTICE_KEY = "field_notice"


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

    # Read before what the card shows, so every event up to it is on the card (live.js).
    cursor = feed.latest_cursor(db.session)
    team = load_team_of(current_user)
    assignment = status.current_assignment(db.session, team.id)
    backup = signals.open_backups(db.session).get(team.id)
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
    return render_template(
        "field/_tap_answer.html", team=team, notice=notice, navigate_url=None, **context
    ), status_code


def _keep_notice(team: TeamState, text: str) -> None:
    session[_NOTICE_KEY] = [text, team.id, team.version, int(time.time())]


def _kept_notice(team):
    kept = session.get(_NOTICE_KEY)
    if not kept:
        return None
    text, team_id, version, at = kept
    if team_id != team.id or version != team.version or time.time() - at > NOTICE_SECONDS:
        return None
    return ("ok", text)


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
    _keep_notice(result.team, done)
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
    )
    if not is_partial():
        return redirect(url_for("field.index"), code=303)
    return _screen(notice=("ok", "Backup requested."))


from . import handoff  # noqa: E402,F401  (registers the hand-off routes on this blueprint)
